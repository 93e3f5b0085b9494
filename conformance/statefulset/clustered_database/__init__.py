"""A real clustered database on a StatefulSet: etcd, of the image the cluster's own etcd runs.

Not checked here: scaling that follows the membership. etcd admits a member only after ``member add``,
and the new member must start with ``--initial-cluster-state=existing`` and the grown member list, while
the first three start as a new cluster: flags that differ per pod, which a shell-less image can only get
from a template change that restarts every member. That is a test of etcd's operations more than of the
StatefulSet, and it does not fit the time a guarantee may take.
"""
