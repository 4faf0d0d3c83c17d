// oddigit_monkey: the real window driven by seeded random actions for a set time.
//
// Meant to run under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/monkey.sh builds
// and runs it). Three guided runs: a tiny training runs to its end undisturbed and the app uses
// its model in the Draw view and Explore, first on two digits, at 40 % of the time on the image
// folder's classes, at 65 % on two digits again. Between them, at random: strokes, undo, redo and
// clear on the Draw canvas; tab switches and resizes; models (good, truncated, corrupt), junk
// files and images dropped on the window; a tiny training (on MNIST, or on a small folder of
// named classes) started, paused, resumed, cancelled and its model used; Explore's test-set pass
// started and cancelled; the colour scheme switched; a few settings changed at random.
//
// Every action is logged with its time on stderr (the script keeps it as the log). Dialogs the
// action can raise (an error box for a bad file, the "a run is already there" question) are
// answered after a moment; any other modal dialog, or an expected one nothing closes, fails the
// run once it has been open --dialog-timeout seconds. A watchdog thread fails the run when the
// GUI thread has not turned its event loop for --hang-timeout seconds (with gdb's stacks of every
// thread when gdb can attach). RSS and the heap in use are sampled every 10 s into the --rss-csv
// file, and at two quiet points, at minute 2 and at the end (training and Explore's pass
// stopped, 5 s to settle, the allocator's free memory handed back), whose heap in use
// scripts/monkey.sh compares.
//
// Exit status: 0 clean, 1 a failure the monkey saw (the log says which), 2 bad arguments or
// set-up, 4 a hang. A sanitizer report ends the process with its own status.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "appearance.h"
#include "main_window.h"
#include "monkey.h"
#include "monkey_support.h"
#include "oddigit/runtime.h"
#include "test_support.h"

using namespace monkey;

namespace {

struct Options {
    double minutes = 10;
    uint64_t seed = 0;
    QString rssCsv;
    double dialogTimeout = 10;
    double hangTimeout = 60;
};

// The command line's options, or nothing (logged) when one is bad.
std::optional<Options> parseOptions(const QApplication& app) {
    QCommandLineParser parser;
    parser.setApplicationDescription("Drives the Oddigit window with seeded random actions.");
    parser.addHelpOption();
    const QCommandLineOption minutesOption("minutes", "How long to run (default 10).", "minutes", "10");
    const QCommandLineOption seedOption("seed", "Seed of the random actions (default: from the clock).", "seed");
    const QCommandLineOption rssOption("rss-csv", "Write the RSS and heap samples (every 10 s) to this CSV.", "file");
    const QCommandLineOption dialogOption("dialog-timeout", "Fail when a modal dialog stays open this long (default 10).", "seconds", "10");
    const QCommandLineOption hangOption("hang-timeout", "Fail when the event loop stalls this long (default 60).", "seconds", "60");
    parser.addOptions({minutesOption, seedOption, rssOption, dialogOption, hangOption});
    parser.process(app);
    Options options;
    bool ok = true;
    options.minutes = parser.value(minutesOption).toDouble(&ok);
    if (!ok || options.minutes <= 0) {
        logLine("bad --minutes");
        return std::nullopt;
    }
    options.seed = parser.isSet(seedOption) ? parser.value(seedOption).toULongLong(&ok)
                                            : static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
    if (!ok) {
        logLine("bad --seed");
        return std::nullopt;
    }
    options.rssCsv = parser.value(rssOption);
    options.dialogTimeout = parser.value(dialogOption).toDouble();
    options.hangTimeout = parser.value(hangOption).toDouble();
    return options;
}

// The window, shown and active where the platform allows, with the bundled model open; null
// (logged) when that fails.
std::unique_ptr<MainWindow> openWindow() {
    auto window = std::make_unique<MainWindow>();
    window->resize(1280, 800);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get())) {
        logLine("set-up: the window was never exposed");
        return nullptr;
    }
    window->activateWindow();
    if (!QTest::qWaitForWindowActive(window.get(), 2000)) logLine("set-up: the window is not active: keys go the direct way");
    if (!window->openModel(QString::fromStdString(oddigit::test::fixture_model_path()), true)) {
        logLine("set-up: the bundled model does not open: %s", qPrintable(window->lastError()));
        return nullptr;
    }
    return window;
}

// The watchdog: the GUI thread beats every 100 ms, in any event loop; a longer silence than
// hangTimeout ends the process with status 4, after gdb's stacks of every thread.
std::thread startWatchdog(const std::atomic<bool>& done, double hangTimeout) {
    g_heartbeat = g_clock.elapsed();
    return std::thread([&done, hangTimeout] {
        while (!done) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            const double stalled = (g_clock.elapsed() - g_heartbeat) / 1000.0;
            if (!done && stalled > hangTimeout) {
                logLine("MONKEY FAIL: hang: the GUI thread has not turned its event loop for %.0f s; stacks follow", stalled);
                char command[256];
                std::snprintf(command, sizeof command,
                              "gdb -p %d -batch -nx -ex 'set pagination off' -ex 'thread apply all bt' 1>&2 2>/dev/null </dev/null",
                              static_cast<int>(getpid()));
                if (std::system(command) != 0) logLine("(gdb could not attach)");
                std::_Exit(4);
            }
        }
    });
}

}  // namespace

int main(int argc, char** argv) {
    g_clock.start();
    qInstallMessageHandler(qtMessages);
    QApplication app(argc, argv);
    // Settings and caches of the monkey's own, in Qt's test locations: a user's stay untouched.
    QApplication::setOrganizationName("OddigitMonkey");
    QApplication::setApplicationName("OddigitMonkey");
    QStandardPaths::setTestModeEnabled(true);
    const std::optional<Options> options = parseOptions(app);
    if (!options) return 2;
    logLine("monkey: seed %llu, %.2f minutes, pid %d", static_cast<unsigned long long>(options->seed), options->minutes,
            static_cast<int>(getpid()));

    QSettings().clear();
    QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).removeRecursively();
    QApplication::setQuitOnLastWindowClosed(false);  // the monkey ends the run, with its status
    appearance::apply(ColorScheme::System);
    oddigit::set_thread_count();
    std::unique_ptr<MainWindow> window = openWindow();
    if (!window) return 2;
    auto monkey = std::make_unique<Monkey>(*window, options->seed, options->minutes, options->dialogTimeout, options->rssCsv);
    if (!monkey->prepare()) return 2;

    std::atomic<bool> done{false};
    std::thread watchdog = startWatchdog(done, options->hangTimeout);
    monkey->begin();
    const int code = std::max(app.exec(), monkey->exitCode());
    // Closing the window waits for its background jobs; the watchdog watches that too.
    monkey.reset();
    window.reset();
    done = true;
    watchdog.join();
    logLine("monkey: exit %d", code);
    return code;
}
