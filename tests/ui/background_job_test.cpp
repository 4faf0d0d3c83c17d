// The one background mechanism the views run their work on.
#include <QSignalSpy>
#include <QStringList>
#include <QTest>
#include <QThread>

#include <atomic>
#include <stdexcept>

#include "background_job.h"

class BackgroundJobTest : public QObject {
    Q_OBJECT

private slots:
    // The one background mechanism: an exception in a task is reported and the job goes
    // on; offer() lets the running task finish and deliver, and replaces a waiting one;
    // start() and cancel() make earlier tasks stale, so their deliveries are dropped.
    void backgroundJobsReportFailuresCoalesceAndDropStaleResults() {
        BackgroundJob job("test-job", JobKind::LiveScoring);
        QSignalSpy failed(&job, &BackgroundJob::failed);
        job.start([](JobContext&) { throw std::runtime_error("boom"); });
        QVERIFY(failed.wait(5000));
        QCOMPARE(failed.first().at(0).toString(), QString("boom"));

        QStringList delivered;
        std::atomic<bool> release{false};
        job.start([&](JobContext& context) {
            while (!release) QThread::msleep(1);
            context.deliver([&] { delivered << "running"; });
        });
        QTest::qWait(50);
        const auto deliverer = [&](const QString& name) {
            return [&delivered, name](JobContext& context) { context.deliver([&delivered, name] { delivered << name; }); };
        };
        job.offer(deliverer("replaced"));
        job.offer(deliverer("newest"));
        release = true;
        QTRY_COMPARE_WITH_TIMEOUT(delivered, QStringList({"running", "newest"}), 5000);

        release = false;
        delivered.clear();
        job.start([&](JobContext& context) {
            while (!release) QThread::msleep(1);
            context.deliver([&] { delivered << "stale"; });
        });
        QTest::qWait(50);
        job.cancel();
        release = true;
        job.waitUntilIdle();
        QTest::qWait(100);
        QVERIFY(delivered.isEmpty());
        QVERIFY(!job.busy());
    }
};

QTEST_MAIN(BackgroundJobTest)
#include "background_job_test.moc"
