from clusters.host_limits import INOTIFY_INSTANCES_PER_NODE, InotifyBudget


def test_nodes_that_fit_counts_whole_nodes_in_the_free_instances() -> None:
    assert InotifyBudget(limit=128, in_use=3).nodes_that_fit == (128 - 3) // INOTIFY_INSTANCES_PER_NODE
    assert InotifyBudget(limit=128, in_use=128).nodes_that_fit == 0
    assert InotifyBudget(limit=128, in_use=200).nodes_that_fit == 0
