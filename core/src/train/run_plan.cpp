#include "oddigit/run_plan.h"

namespace oddigit {

RunData split_for(const RunPlan& plan, const LabelledImages& data, const std::vector<std::string>& class_names) {
    RunData run{plan.params, {}};
    run.params.normal_classes = ClassSet::parse_names(plan.normal, class_names);
    const double fraction = plan.held_out > 0 ? fraction_holding_out(plan.held_out, data, run.params.normal_classes)
                                              : plan.validation_fraction;
    run.split = split_normal(data, run.params.normal_classes, fraction, run.params.seed);
    if (plan.limit > 0) run.split.train.keep_first(plan.limit);
    return run;
}

}  // namespace oddigit
