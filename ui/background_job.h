#pragma once
// The app's one way to run work off the GUI thread. Live scoring, training and the Explore
// views each own a BackgroundJob: a thread of its own that runs one task at a time.
// - Every task has a generation. start() and cancel() make the earlier tasks stale: a stale
//   task sees cancelled() and whatever it delivers to the GUI thread is dropped, so a result
//   from a superseded request or model never shows.
// - An exception thrown by a task is caught and reported through failed(), when current.
// - Each task runs with the LibTorch thread count the ThreadBudget gives its kind of work.
#include <QObject>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

enum class JobKind {
    Training,     // every core; the trainer drops threads itself when they only wait (TrainParams::threads)
    LiveScoring,  // one thread: a drawing scores in milliseconds, and a one-thread job never
                  // waits at an OpenMP barrier for a core that training holds
    Batch,        // a pass over many images: one thread while training runs, else every core
};

// Shares the cores between the kinds of work the app runs at once (what it costs each side:
// docs/decisions.md, "Figures that stood in the code's headers").
class ThreadBudget {
public:
    // LibTorch threads for a task of this kind starting now.
    static int threadsFor(JobKind kind);
    static void setTrainingRunning(bool running) { trainingRunning_ = running; }

private:
    static inline std::atomic<bool> trainingRunning_{false};
};

class BackgroundJob;

// What a task sees of its own run.
class JobContext {
public:
    // True once the task is stale (superseded, cancelled, or the job is being destroyed):
    // check it between chunks of work and return early.
    bool cancelled() const;
    // Reports progress through BackgroundJob::progressed, when still current.
    void progress(qint64 done, qint64 total);
    // Runs onGuiThread on the GUI thread, unless the task is stale by the time it gets there.
    void deliver(std::function<void()> onGuiThread);

private:
    friend class BackgroundJob;
    JobContext(BackgroundJob* job, quint64 generation) : job_(job), generation_(generation) {}
    BackgroundJob* job_;
    quint64 generation_;
};

class BackgroundJob : public QObject {
    Q_OBJECT
public:
    using Task = std::function<void(JobContext&)>;

    explicit BackgroundJob(const QString& name, JobKind kind, QObject* parent = nullptr);
    // Makes every task stale and waits for the running one to return: on the GUI thread when
    // the app quits, so every task checks cancelled() at least every fraction of a second
    // (the trainer between steps, scoring passes between chunks, the t-SNE map between
    // blocks of its neighbour search and its iterations, the download in its progress).
    ~BackgroundJob() override;

    // Makes every earlier task stale (the running one is asked to stop) and runs task next.
    void start(Task task);
    // Runs task after the running one, which stays current and still delivers; a task
    // offered earlier and still waiting is replaced. For work where the newest request wins
    // but every finished answer is worth showing, like scoring a drawing as it is drawn.
    void offer(Task task);
    // Makes every task stale: the running one is asked to stop, a waiting one is dropped.
    void cancel();
    // A task is running or waiting.
    bool busy() const;
    // Blocks until no task is running or waiting (tests, shutdown).
    void waitUntilIdle();

signals:
    void progressed(qint64 done, qint64 total);
    void failed(const QString& message);

private slots:
    // On the GUI thread: runs what JobContext::deliver() queued, in order, each unless stale.
    void runDeliveries();

private:
    friend class JobContext;
    void enqueue(Task task, bool supersede);
    void loop();
    bool current(quint64 generation) const { return generation >= validFrom_; }

    // What tasks deliver to the GUI thread, with their generations. It crosses the threads here,
    // under deliveriesMutex_, rather than inside a Qt event: Qt's own locking is invisible to
    // ThreadSanitizer (Debian's Qt is not instrumented), ours is not.
    std::mutex deliveriesMutex_;
    std::deque<std::pair<quint64, std::function<void()>>> deliveries_;

    const JobKind kind_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<std::pair<quint64, Task>> waiting_;
    bool running_ = false;
    bool stopping_ = false;
    quint64 lastGeneration_ = 0;
    // Tasks with a generation below this are stale.
    std::atomic<quint64> validFrom_{0};
    std::thread thread_;
};
