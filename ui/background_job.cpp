#include "background_job.h"

#include <QMetaObject>
#include <pthread.h>

#include "oddigit/runtime.h"

int ThreadBudget::threadsFor(JobKind kind) {
    const int all = oddigit::available_cores();
    switch (kind) {
        case JobKind::Training: return all;
        case JobKind::LiveScoring: return 1;
        case JobKind::Batch: return trainingRunning_ ? 1 : all;
    }
    return 1;
}

bool JobContext::cancelled() const { return !job_->current(generation_); }

void JobContext::progress(qint64 done, qint64 total) {
    deliver([job = job_, done, total] { emit job->progressed(done, total); });
}

void JobContext::deliver(std::function<void()> onGuiThread) {
    {
        std::lock_guard<std::mutex> lock(job_->deliveriesMutex_);
        job_->deliveries_.emplace_back(generation_, std::move(onGuiThread));
    }
    // By name, so the event carries nothing of ours across the threads.
    QMetaObject::invokeMethod(job_, "runDeliveries", Qt::QueuedConnection);
}

void BackgroundJob::runDeliveries() {
    // One at a time: a delivery that opens a dialog lets the next ones run in its event loop,
    // in their order, as Qt's queue would.
    for (;;) {
        std::pair<quint64, std::function<void()>> next;
        {
            std::lock_guard<std::mutex> lock(deliveriesMutex_);
            if (deliveries_.empty()) return;
            next = std::move(deliveries_.front());
            deliveries_.pop_front();
        }
        if (current(next.first)) next.second();
    }
}

BackgroundJob::BackgroundJob(const QString& name, JobKind kind, QObject* parent) : QObject(parent), kind_(kind) {
    thread_ = std::thread([this] { loop(); });
    pthread_setname_np(thread_.native_handle(), name.left(15).toUtf8().constData());
}

BackgroundJob::~BackgroundJob() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        waiting_.reset();
        validFrom_ = ++lastGeneration_;
    }
    wake_.notify_all();
    thread_.join();
}

void BackgroundJob::start(Task task) { enqueue(std::move(task), true); }

void BackgroundJob::offer(Task task) { enqueue(std::move(task), false); }

void BackgroundJob::enqueue(Task task, bool supersede) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const quint64 generation = ++lastGeneration_;
        if (supersede) validFrom_ = generation;
        waiting_.emplace(generation, std::move(task));
    }
    wake_.notify_all();
}

void BackgroundJob::cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_.reset();
    validFrom_ = ++lastGeneration_;
}

bool BackgroundJob::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_ || waiting_.has_value();
}

void BackgroundJob::waitUntilIdle() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return !running_ && !waiting_; });
}

void BackgroundJob::loop() {
    oddigit::init_worker_thread();
    for (;;) {
        std::pair<quint64, Task> next;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || waiting_.has_value(); });
            if (stopping_) return;
            next = std::move(*waiting_);
            waiting_.reset();
            running_ = true;
        }
        JobContext context(this, next.first);
        oddigit::set_thread_count(ThreadBudget::threadsFor(kind_));
        try {
            next.second(context);
        } catch (const std::exception& error) {
            const QString message = QString::fromStdString(error.what());
            context.deliver([this, message] { emit failed(message); });
        } catch (...) {
            context.deliver([this] { emit failed(tr("unknown error in a background task")); });
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            running_ = false;
        }
        wake_.notify_all();
    }
}
