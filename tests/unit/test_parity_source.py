"""The Go e2e reader names specs as Ginkgo and the e2e framework do (the generator's own check against
conformance.yaml covers the real files; these cases are written here, not copied)."""

from __future__ import annotations

from reports.parity import ginkgo
from reports.parity.gosource import GoSource

GO = """
package apps

// ginkgo.It("a commented-out spec", func() {})
var _ = SIGDescribe("Widget", framework.WithSerial(), func() {
	f := framework.NewDefaultFramework("widget")

	ginkgo.Describe("Basic things [WidgetBasic]", func() {
		framework.ConformanceIt("should keep a brace } and a quote \\" in its name", func() {
			x := map[string]string{"a": "}"}
			_ = x
		})

		f.It("should wait for a gate", framework.WithFeatureGate(features.ShinyThing), f.WithSlow(), func() {
		})
	})

	ginkgo.When("the widget is idle", func() {
		ginkgo.It(`keeps still`, func() {})
	})

	for _, kind := range kinds {
		args := []interface{}{framework.WithLabel(string(kind))}
		args = append(args, func() {
			ginkgo.It("is built at run time", func() {})
		})
		f.Context(args...)
	}
})
"""

SHINY = ginkgo.Gate("ShinyThing", "Alpha", False, depends_on=(ginkgo.Gate("Base", "Beta", True),))
RESOLVE = ginkgo.Resolvers(sig=lambda qualifier: "apps", gate=lambda name: SHINY, feature=lambda name: name)


def read() -> list[ginkgo.Spec]:
    return ginkgo.specs(GoSource(GO), RESOLVE)


def test_labels_of_containers_and_the_spec_go_to_the_end_sorted() -> None:
    first = read()[0]
    assert first.text == 'should keep a brace } and a quote " in its name'
    assert first.name == (
        '[sig-apps] Widget Basic things [WidgetBasic] should keep a brace } and a quote " in its name '
        "[Conformance] [Serial]"
    )
    assert first.problem is None


def test_a_feature_gate_is_named_in_place_and_its_stage_and_dependencies_at_the_end() -> None:
    gated = read()[1]
    assert gated.name == (
        "[sig-apps] Widget Basic things [WidgetBasic] should wait for a gate [FeatureGate:ShinyThing] "
        "[Alpha] [Beta] [Feature:OffByDefault] [FeatureGate:Base] [Serial] [Slow]"
    )
    assert gated.gates == (SHINY,)


def test_when_says_when_and_commented_specs_do_not_count() -> None:
    names = [spec.name for spec in read()]
    assert "[sig-apps] Widget when the widget is idle keeps still [Serial]" in names
    assert not any("commented-out" in name for name in names)


def test_a_spec_whose_containers_are_built_at_run_time_says_so() -> None:
    (dynamic,) = [spec for spec in read() if spec.text == "is built at run time"]
    assert dynamic.problem and "not written directly inside a Describe or Context" in dynamic.problem
