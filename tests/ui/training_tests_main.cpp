// The Train view's tests, then the image folder's, in one process: an app that trains several
// times, the last time on a folder, as a user who trains twice in one session meets it. (Run in
// one process with an earlier class picker, these met a heap corruption; see docs/results.md,
// "Two trainings in one app".)
// Usage: oddigit_ui_training_tests [CLASS...] [-- QTEST-ARGUMENTS]; CLASS: TrainViewTest,
// DataSourceBoxTest (default: both, in that order).
#include <QApplication>
#include <QTest>

#include <cstdio>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

std::unique_ptr<QObject> makeTrainViewTest();
std::unique_ptr<QObject> makeDataSourceBoxTest();

int main(int argc, char** argv) {
    QApplication::setAttribute(Qt::AA_Use96Dpi, true);
    QApplication app(argc, argv);
    const std::vector<std::pair<QString, std::function<std::unique_ptr<QObject>()>>> classes = {
        {"TrainViewTest", makeTrainViewTest}, {"DataSourceBoxTest", makeDataSourceBoxTest}};
    QStringList chosen, arguments = {QString::fromLocal8Bit(argv[0])};
    bool forQTest = false;
    for (int i = 1; i < argc; ++i) {
        const QString argument = QString::fromLocal8Bit(argv[i]);
        if (!forQTest && argument == "--") forQTest = true;
        else (forQTest ? arguments : chosen) << argument;
    }
    QStringList unknown = chosen;
    for (const auto& entry : classes) unknown.removeAll(entry.first);
    if (!unknown.isEmpty()) {
        std::fprintf(stderr, "no test class %s\n", qPrintable(unknown.join(", ")));
        return 2;
    }
    int failed = 0;
    for (const auto& [name, make] : classes) {
        if (!chosen.isEmpty() && !chosen.contains(name)) continue;
        const std::unique_ptr<QObject> test = make();
        failed += QTest::qExec(test.get(), arguments);
    }
    return failed;
}
