#pragma once
// A background job's own copy of the shared model. AnomalyModel is not safe to score from
// two threads at once, so each job scores on a clone made in its own thread; the model it
// was cloned from is kept alive with it, so a new model at a reused address is never taken
// for the old one.
#include <memory>

#include "oddigit/model.h"

class ModelSnapshot {
public:
    // The copy of model, cloned on the first call after the model changed. Call it from the
    // job's thread only.
    const oddigit::AnomalyModel& of(const std::shared_ptr<const oddigit::AnomalyModel>& model) {
        if (source_ != model) {
            copy_ = std::make_unique<oddigit::AnomalyModel>(model->clone());
            source_ = model;
        }
        return *copy_;
    }

private:
    std::shared_ptr<const oddigit::AnomalyModel> source_;
    std::unique_ptr<oddigit::AnomalyModel> copy_;
};
