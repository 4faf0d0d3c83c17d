// oddigit_monkey: the real window driven by seeded random actions for a set time.
//
// Meant to run under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/monkey.sh builds
// and runs it). First a tiny training of two digits runs to its end and the app uses its model;
// then at random: strokes, undo, redo and clear on the Draw canvas; tab switches and resizes;
// models (good, truncated, corrupt), junk files and images dropped on the window; a tiny
// training (on MNIST, or on a small folder of named classes) started, paused, resumed,
// cancelled and its model used; Explore's test-set pass started and cancelled; the colour
// scheme switched; a few settings changed at random.
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
#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "appearance.h"
#include "draw_view.h"
#include "drawing_canvas.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "model_store.h"
#include "oddigit/model.h"
#include "oddigit/runtime.h"
#include "test_support.h"
#include "train_view.h"
#include "training_worker.h"
#include "ui_test_support.h"

namespace {

QElapsedTimer g_clock;
// When the GUI thread last turned its event loop (g_clock's milliseconds), for the hang watchdog.
std::atomic<qint64> g_heartbeat{0};

double seconds() { return g_clock.isValid() ? g_clock.nsecsElapsed() / 1e9 : 0.0; }

void logLine(const char* format, ...) __attribute__((format(printf, 1, 2)));
void logLine(const char* format, ...) {
    char text[4096];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::fprintf(stderr, "[%9.3f] %s\n", seconds(), text);
    std::fflush(stderr);
}

// Qt's own messages in the log, timed like the actions.
void qtMessages(QtMsgType type, const QMessageLogContext&, const QString& message) {
    static const char* const kinds[] = {"debug", "warning", "critical", "fatal", "info"};
    logLine("qt %s: %s", kinds[std::clamp(static_cast<int>(type), 0, 4)], qPrintable(message));
    if (type == QtFatalMsg) std::abort();
}

// Resident set size in kilobytes.
long rssKb() {
    long pages = 0, resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(statm);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Hands the allocator's free memory back to the system, so that RSS shows what is in use:
// ASan's allocator (weak: absent from a build without the sanitizers), else glibc's.
extern "C" __attribute__((weak)) void __sanitizer_purge_allocator();

extern "C" __attribute__((weak)) size_t __sanitizer_get_current_allocated_bytes();

// Bytes the program holds on the heap now: ASan's count where it runs, else glibc's (in use in
// its arenas and in its mmapped chunks). Unlike RSS it leaves out what an allocator keeps for
// itself: under ASan, the shadow and metadata of the heap's peak stay resident after a purge.
double heapMb() {
    if (__sanitizer_get_current_allocated_bytes) return __sanitizer_get_current_allocated_bytes() / 1048576.0;
    const struct mallinfo2 info = mallinfo2();
    return static_cast<double>(info.uordblks + info.hblkhd) / 1048576.0;
}

void purgeAllocator() {
    if (__sanitizer_purge_allocator)
        __sanitizer_purge_allocator();
    else
        malloc_trim(0);
}

quint32 crc32(const QByteArray& data) {
    quint32 crc = 0xFFFFFFFFu;
    for (const char c : data) {
        crc ^= static_cast<quint8>(c);
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray bigEndian(quint32 value) {
    QByteArray out(4, 0);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (24 - 8 * i));
    return out;
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString plain(QString text) { return text.remove('&'); }

// What dropping a file should lead to.
enum class Expect { Opens, Refused, Either };

struct DropFile {
    QString kind;  // the counter it goes under: good-model, truncated-model, junk, image
    QString path;  // or a URL, for the non-local one
    Expect expect;
};

class Monkey : public QObject {
public:
    Monkey(MainWindow& window, uint64_t seed, double minutes, double dialogTimeout, const QString& rssCsv)
        : window_(window), random_(seed), answers_(seed ^ 0x9e3779b97f4a7c15ull), minutes_(minutes), dialogTimeout_(dialogTimeout), rssCsv_(rssCsv) {}

    bool prepare();
    void begin();
    int exitCode() const { return failures_ > 0 ? 1 : 0; }

private:
    using Action = void (Monkey::*)();
    struct Choice {
        const char* name;
        int weight;
        Action act;
    };

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
    int between(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
    double uniform(double low, double high) { return std::uniform_real_distribution<double>(low, high)(random_); }
    bool chance(double p) { return uniform(0, 1) < p; }
    void count(const QString& name) { ++counts_[name.toStdString()]; }
    void fail(const QString& why);

    void tick();
    void watch();
    void sampleRss(bool quiet = false);
    // The quiet points RSS is compared at (minute 2 and the end): the training and Explore's
    // pass stopped, a few seconds to settle, the allocator's free memory handed back.
    void quieten(const char* why);
    void finish();
    void end();
    void startWarmUp();

    // Sends a key to the window when it is the active one (as a user's key goes), else
    // false: the caller then takes the direct way.
    bool key(int key, Qt::KeyboardModifiers modifiers = Qt::NoModifier);
    // Clicks the button where it shows, or calls its click() where it does not.
    void press(QAbstractButton* button);
    QPushButton* findButton(QWidget* in, const QString& text) const;
    QString describe(QWidget* dialog) const;
    void answer(QWidget* dialog);

    // The actions.
    void stroke();
    void hover();
    void undo();
    void redo();
    void clearCanvas();
    void switchTab();
    void resizeWindow();
    void dropFile();
    void startTrainingWarmUp();
    void useWarmUpModel(bool finished, const QString& path);
    void trainStart();
    void trainPause();
    void trainCancel();
    void trainUse();
    void exploreScore();
    void exploreCancel();
    void colourScheme();
    void drawSettings();
    void exploreSettings();

    MainWindow& window_;
    // The actions draw from random_ only, a fixed number of times each whatever the app does,
    // so a seed gives the same actions in the same order; the answers to dialogs (which come
    // when the app raises them) draw from answers_.
    std::mt19937_64 random_;
    std::mt19937_64 answers_;
    double minutes_;
    double dialogTimeout_;
    QString rssCsv_;
    QTemporaryDir dir_;
    std::vector<DropFile> drops_;
    std::vector<Choice> choices_;
    std::discrete_distribution<int> chooser_;
    std::map<std::string, int> counts_;
    QTimer watchdog_;
    FILE* rss_ = nullptr;
    double nextRssAt_ = 0;
    long rssAtTwoMinutes_ = -1;
    double quietUntil_ = -1;  // >= 0: no actions until then, then the quiet sample
    bool quietAtTwoMinutes_ = false;

    // The action under way (an expected dialog belongs to it), and its number.
    QString action_;
    int actionNumber_ = 0;
    QStringList expectedDialogs_;
    // The modal dialog seen last, since when, and when it gets its answer (< 0: never).
    QPointer<QWidget> dialog_;
    double dialogSince_ = 0;
    double answerAt_ = -1;
    int failures_ = 0;
    int dialogsSeen_ = 0;
    bool warmingUp_ = false;
    bool trainingWarmUp_ = false;  // the warm-up's training runs
    bool finishing_ = false;
    double warmUpStarted_ = 0;

    QPushButton* trainStart_ = nullptr;
    QPushButton* trainPause_ = nullptr;
    QPushButton* trainCancel_ = nullptr;
    QPushButton* trainUse_ = nullptr;
    QPushButton* exploreScore_ = nullptr;
    QPushButton* exploreCancel_ = nullptr;
    QPushButton* drawUndo_ = nullptr;
    QPushButton* drawRedo_ = nullptr;
    QPushButton* drawClear_ = nullptr;
    QList<QAction*> schemes_;
    int trainRuns_ = 0;
};

QPushButton* Monkey::findButton(QWidget* in, const QString& text) const {
    for (QPushButton* button : in->findChildren<QPushButton*>())
        if (plain(button->text()) == text) return button;
    return nullptr;
}

bool Monkey::prepare() {
    if (!dir_.isValid()) return false;
    const QString model = QString::fromStdString(oddigit::test::fixture_model_path());
    const QByteArray good = readFile(model);
    if (good.size() < 16) {
        logLine("set-up: cannot read the bundled model %s", qPrintable(model));
        return false;
    }
    auto add = [this](const QString& kind, const QString& name, const QByteArray& bytes, Expect expect) {
        const QString path = dir_.filePath(name);
        if (!writeFile(path, bytes)) logLine("set-up: cannot write %s", qPrintable(path));
        drops_.push_back({kind, path, expect});
    };
    // Good models: the bundled one, the same with other thresholds, one from Oddigit 0.1.
    add("good-model", "good.safetensors", good, Expect::Opens);
    for (const float factor : {0.5f, 2.0f})
        drops_.push_back({"good-model", ui_test::bundledWithThresholds(dir_, factor), Expect::Opens});
    drops_.push_back({"good-model", QString::fromStdString(oddigit::test::old_model_path()), Expect::Opens});

    // Truncated models: cut inside the length field, the header and the tensors.
    quint64 headerLength = 0;
    for (int i = 0; i < 8; ++i) headerLength |= quint64(static_cast<quint8>(good[i])) << (8 * i);
    const qsizetype dataStart = static_cast<qsizetype>(8 + headerLength);
    std::vector<qsizetype> cuts = {1, 7, 8, 9, dataStart / 2, dataStart - 1, dataStart, dataStart + 1,
                                   dataStart + 100, good.size() / 2, good.size() - 4, good.size() - 1};
    for (int i = 0; i < 4; ++i) cuts.push_back(between(1, static_cast<int>(good.size() - 1)));
    for (const qsizetype cut : cuts)
        if (cut > 0 && cut < good.size())
            add("truncated-model", QString("truncated-%1.safetensors").arg(cut), good.left(cut), Expect::Refused);
    // Corrupt headers: a few bytes of the JSON changed (most no longer parse; any that still
    // do may open or be refused).
    for (int i = 0; i < 6; ++i) {
        QByteArray corrupt = good;
        for (int k = between(1, 3); k > 0; --k) corrupt[8 + pick(static_cast<int>(std::min<quint64>(headerLength, 4096)))] = static_cast<char>(between(0, 255));
        add("corrupt-model", QString("corrupt-%1.safetensors").arg(i), corrupt, Expect::Either);
    }

    // Junk: random bytes under each name, absurd headers, empty files, a folder, a missing file.
    auto noise = [this](int size) {
        QByteArray bytes(size, 0);
        for (char& c : bytes) c = static_cast<char>(between(0, 255));
        return bytes;
    };
    add("junk", "noise.safetensors", noise(between(1, 100000)), Expect::Refused);
    add("junk", "empty.safetensors", {}, Expect::Refused);
    add("junk", "huge-header.safetensors", QByteArray(8, '\xff') + "{}", Expect::Refused);
    add("junk", "no-tensors.safetensors", QByteArray("\x02\0\0\0\0\0\0\0{}", 10), Expect::Refused);
    {
        const QByteArray header = R"({"generator.weight":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}})";
        QByteArray length(8, 0);
        for (int i = 0; i < 8; ++i) length[i] = static_cast<char>(quint64(header.size()) >> (8 * i));
        add("junk", "lying-offsets.safetensors", length + header + "1234", Expect::Refused);
    }
    add("junk", "noise.png", noise(between(1, 50000)), Expect::Refused);
    add("junk", "noise.jpg", noise(between(1, 50000)), Expect::Refused);
    add("junk", "empty.png", {}, Expect::Refused);
    add("junk", "notes.txt", "not a digit\n", Expect::Refused);
    add("junk", "model.safetensors.metrics.csv", "phase,epoch\nGAN,1\n", Expect::Refused);
    QDir(dir_.path()).mkdir("folder.safetensors");
    drops_.push_back({"junk", dir_.filePath("folder.safetensors"), Expect::Refused});
    QDir(dir_.path()).mkdir("folder.png");
    drops_.push_back({"junk", dir_.filePath("folder.png"), Expect::Refused});
    drops_.push_back({"junk", dir_.filePath("missing.png"), Expect::Refused});
    drops_.push_back({"junk", dir_.filePath("missing.safetensors"), Expect::Refused});
    drops_.push_back({"junk", "https://example.invalid/remote.safetensors", Expect::Either});

    // Images: a drawn digit in three formats, and odd ones.
    QImage digit(280, 280, QImage::Format_RGB32);
    digit.fill(Qt::white);
    {
        QPainter painter(&digit);
        painter.setPen(QPen(Qt::black, 18, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter.drawPolyline(QPolygonF(QList<QPointF>{{80, 60}, {200, 60}, {160, 140}, {125, 225}}));
    }
    for (const char* format : {"png", "jpg", "bmp"}) {
        const QString path = dir_.filePath(QString("digit.%1").arg(format));
        digit.save(path, format);
        drops_.push_back({"image", path, Expect::Opens});
    }
    auto addImage = [this](const QString& name, const QImage& image, Expect expect) {
        const QString path = dir_.filePath(name);
        image.save(path, "PNG");
        drops_.push_back({"image", path, expect});
    };
    QImage tiny(1, 1, QImage::Format_RGB32);
    tiny.fill(Qt::black);
    addImage("tiny.png", tiny, Expect::Either);
    addImage("wide.png", digit.scaled(3000, 20), Expect::Either);
    addImage("tall.png", digit.scaled(7, 2500), Expect::Either);
    addImage("gray16.png", digit.convertToFormat(QImage::Format_Grayscale16), Expect::Either);
    QImage clear(200, 200, QImage::Format_ARGB32);
    clear.fill(Qt::transparent);
    addImage("transparent.png", clear, Expect::Either);
    QImage black(64, 64, QImage::Format_RGB32);
    black.fill(Qt::black);
    addImage("black.png", black, Expect::Either);
    const QByteArray png = readFile(dir_.filePath("digit.png"));
    add("image", "cut.png", png.left(png.size() / 2), Expect::Either);
    {
        // A PNG whose header claims 60000 x 60000 pixels: refused before anything decodes it.
        QByteArray ihdr = "IHDR" + bigEndian(60000) + bigEndian(60000) + QByteArray("\x08\x00\x00\x00\x00", 5);
        QByteArray bomb = QByteArray("\x89PNG\r\n\x1a\n", 8) + bigEndian(13) + ihdr + bigEndian(crc32(ihdr));
        add("image", "bomb.png", bomb, Expect::Refused);
    }
    QDir(dir_.path()).mkdir("train");
    // A small image folder of three named classes (MNIST's 0s, 1s and 7s), with a test folder
    // that adds a class the models never learn, for the runs that train on a folder.
    oddigit::test::write_image_folder(dir_.filePath("folder/train").toStdString(), oddigit::test::mnist().train,
                                      {"ring", "stick", "", "", "", "", "", "hook", "", ""}, 1500);
    oddigit::test::write_image_folder(dir_.filePath("folder/test").toStdString(), oddigit::test::mnist().test,
                                      {"ring", "stick", "", "", "", "", "", "hook", "", "unseen"}, 600);

    trainStart_ = findButton(window_.trainView(), "Start");
    trainPause_ = findButton(window_.trainView(), "Pause");
    trainCancel_ = findButton(window_.trainView(), "Cancel");
    trainUse_ = findButton(window_.trainView(), "Use the trained model");
    exploreScore_ = findButton(window_.exploreView(), "Score the MNIST test set");
    exploreCancel_ = findButton(window_.exploreView(), "Cancel");
    drawUndo_ = findButton(window_.drawView(), "Undo");
    drawRedo_ = findButton(window_.drawView(), "Redo");
    drawClear_ = findButton(window_.drawView(), "Clear");
    for (QAction* action : window_.findChildren<QAction*>())
        if (action->isCheckable() && QStringList{"System", "Light", "Dark"}.contains(plain(action->text()))) schemes_ << action;
    const QList<void*> found = {trainStart_, trainPause_, trainCancel_, trainUse_, exploreScore_, exploreCancel_,
                                drawUndo_, drawRedo_, drawClear_};
    if (found.contains(nullptr) || schemes_.size() != 3) {
        logLine("set-up: a button or the colour actions are not where the monkey looks for them");
        return false;
    }

    choices_ = {
        {"stroke", 30, &Monkey::stroke},          {"hover", 4, &Monkey::hover},
        {"undo", 9, &Monkey::undo},               {"redo", 6, &Monkey::redo},
        {"clear", 4, &Monkey::clearCanvas},       {"tab", 8, &Monkey::switchTab},
        {"resize", 5, &Monkey::resizeWindow},     {"drop", 10, &Monkey::dropFile},
        {"train-start", 3, &Monkey::trainStart},  {"train-pause", 3, &Monkey::trainPause},
        {"train-cancel", 1, &Monkey::trainCancel}, {"train-use", 1, &Monkey::trainUse},
        {"explore-score", 2, &Monkey::exploreScore}, {"explore-cancel", 2, &Monkey::exploreCancel},
        {"colours", 2, &Monkey::colourScheme},    {"draw-settings", 2, &Monkey::drawSettings},
        {"explore-settings", 2, &Monkey::exploreSettings},
    };
    std::vector<int> weights;
    for (const Choice& c : choices_) weights.push_back(c.weight);
    chooser_ = std::discrete_distribution<int>(weights.begin(), weights.end());

    if (!rssCsv_.isEmpty()) {
        rss_ = std::fopen(qPrintable(rssCsv_), "w");
        if (!rss_) {
            logLine("set-up: cannot write %s", qPrintable(rssCsv_));
            return false;
        }
        std::fprintf(rss_, "seconds,rss_mb,quiet,heap_mb\n");
    }
    logLine("set-up: %zu files to drop in %s", drops_.size(), qPrintable(dir_.path()));
    return true;
}

void Monkey::begin() {
    connect(&window_.trainView()->worker(), &TrainingWorker::finished, this, [this](bool ok, const QString& path, const QString& message) {
        logLine("event: training finished (%s): %s %s", ok ? "ok" : "not ok", qPrintable(message), qPrintable(path));
        if (trainingWarmUp_) QTimer::singleShot(0, this, [this, ok, path] { useWarmUpModel(ok, path); });
    });
    connect(window_.exploreView(), &ExploreView::scoringFinished, this, [this] {
        logLine("event: the test set is scored");
        if (warmingUp_) {
            warmingUp_ = false;
            logLine("warm-up: done in %.1f s", seconds() - warmUpStarted_);
        }
    });
    connect(window_.exploreView(), &ExploreView::tsneMapReady, this,
            [](bool cached) { logLine("event: t-SNE map ready (%s)", cached ? "cached" : "computed"); });
    connect(window_.exploreView(), &ExploreView::failed, this, [](const QString& m) { logLine("event: Explore failed: %s", qPrintable(m)); });
    connect(window_.drawView(), &DrawView::failed, this, [](const QString& m) { logLine("event: Draw failed: %s", qPrintable(m)); });

    watchdog_.setInterval(100);
    connect(&watchdog_, &QTimer::timeout, this, &Monkey::watch);
    watchdog_.start();
    sampleRss();
    startTrainingWarmUp();
    QTimer::singleShot(0, this, &Monkey::tick);
}

// Before the random actions, one training runs to its end undisturbed (the random ones are
// mostly cancelled or replaced), and the app uses its model: the Draw view judges a stroke with it.
void Monkey::startTrainingWarmUp() {
    warmingUp_ = trainingWarmUp_ = true;
    warmUpStarted_ = seconds();
    const QString output = dir_.filePath("train/warm-up.safetensors");
    logLine("warm-up: a training of digits 1 and 7 runs to its end: %s", qPrintable(output));
    ui_test::prepareRun(window_, output, 1, 1, 300);
    window_.trainView()->setNormalClasses("1,7");
    window_.tabs()->setCurrentWidget(window_.trainView());
    window_.trainView()->start();
}

void Monkey::useWarmUpModel(bool finished, const QString& path) {
    trainingWarmUp_ = false;
    if (!finished) {
        fail("the warm-up training did not finish");
    } else {
        press(trainUse_);
        if (window_.modelStore()->path() != path) fail("Use the trained model did not open " + path);
        window_.tabs()->setCurrentWidget(window_.drawView());
        ui_test::drawStroke(window_.drawView()->canvas(), {{140, 50}, {140, 230}});
        logLine("warm-up: the trained model is in use and says '%s'", qPrintable(window_.drawView()->verdictText()));
    }
    startWarmUp();
}

// Explore scores the test set once before the random actions, so the MNIST set it keeps is
// loaded before the RSS baseline at minute 2 (the random actions often cancel the pass).
void Monkey::startWarmUp() {
    warmingUp_ = true;
    warmUpStarted_ = seconds();
    logLine("warm-up: Explore scores the test set once");
    window_.tabs()->setCurrentWidget(window_.exploreView());
    window_.exploreView()->scoreTestSet();
}

void Monkey::fail(const QString& why) {
    ++failures_;
    logLine("MONKEY FAIL: %s", qPrintable(why));
}

void Monkey::sampleRss(bool quiet) {
    const double now = seconds();
    if (quiet) purgeAllocator();
    const long kb = rssKb();
    const double heap = heapMb();
    if (rss_) {
        std::fprintf(rss_, "%.1f,%.1f,%d,%.1f\n", now, kb / 1024.0, quiet ? 1 : 0, heap);
        std::fflush(rss_);
    }
    logLine("rss: %.1f MB, heap %.1f MB%s", kb / 1024.0, heap, quiet ? " (quiet)" : "");
    if (quiet && rssAtTwoMinutes_ < 0) rssAtTwoMinutes_ = kb;
    nextRssAt_ = now + 10;
}

void Monkey::quieten(const char* why) {
    logLine("quiet point (%s): stopping the training and Explore's pass", why);
    if (window_.trainView()->isTraining()) window_.trainView()->stopTraining();
    window_.exploreView()->cancelScoring();
    window_.drawView()->canvas()->clear();
    quietUntil_ = seconds() + 5;
}

QString Monkey::describe(QWidget* dialog) const {
    QString text = QString("%1 '%2'").arg(dialog->metaObject()->className(), dialog->windowTitle());
    if (auto* box = qobject_cast<QMessageBox*>(dialog)) text += ": " + box->text().simplified();
    return text;
}

// Every 100 ms, in whatever event loop runs (a dialog's included): the heartbeat, RSS, the
// open modal dialog.
void Monkey::watch() {
    g_heartbeat = g_clock.elapsed();
    const double now = seconds();
    if (now >= nextRssAt_) sampleRss();
    QWidget* modal = QApplication::activeModalWidget();
    if (modal != dialog_) {
        dialog_ = modal;
        answerAt_ = -1;
        if (!modal) return;
        dialogSince_ = now;
        ++dialogsSeen_;
        const bool expected = expectedDialogs_.contains(modal->windowTitle());
        logLine("dialog: %s (%s during #%d %s)", qPrintable(describe(modal)), expected ? "expected" : "NOT expected",
                actionNumber_, qPrintable(action_));
        if (expected) answerAt_ = now + std::uniform_real_distribution<double>(0.2, 1.5)(answers_);
        return;
    }
    if (!modal) return;
    if (answerAt_ >= 0 && now >= answerAt_) {
        answerAt_ = -1;
        answer(modal);
        return;
    }
    if (now - dialogSince_ > dialogTimeout_) {
        fail(QString("a modal dialog left unanswered for %1 s: %2 (during #%3 %4)")
                 .arg(dialogTimeout_).arg(describe(modal)).arg(actionNumber_).arg(action_));
        // Closed so the run can end and report; the failure stands.
        dialogSince_ = now;
        if (auto* box = qobject_cast<QDialog*>(modal)) box->reject(); else modal->close();
    }
}

void Monkey::answer(QWidget* dialog) {
    auto* box = qobject_cast<QMessageBox*>(dialog);
    if (!box) {
        logLine("dialog: closing %s", qPrintable(describe(dialog)));
        dialog->close();
        return;
    }
    QList<QAbstractButton*> buttons = box->buttons();
    if (box->windowTitle() == "Training is running") {
        // The monkey's own closing: always yes.
        box->button(QMessageBox::Yes)->click();
        logLine("dialog: answered Yes");
        return;
    }
    const int way = std::uniform_int_distribution<int>(0, 2)(answers_);
    if (buttons.size() > 1 || way == 0) {
        const int which = std::uniform_int_distribution<int>(0, static_cast<int>(buttons.size()) - 1)(answers_);
        QAbstractButton* button = buttons.value(which);
        logLine("dialog: clicking '%s'", qPrintable(plain(button->text())));
        QTest::mouseClick(button, Qt::LeftButton);
        if (box->isVisible()) button->click();
    } else {
        logLine("dialog: pressing %s", way == 1 ? "Return" : "Escape");
        QTest::keyClick(box, way == 1 ? Qt::Key_Return : Qt::Key_Escape);
    }
}

void Monkey::tick() {
    if (finishing_) return;
    const double now = seconds();
    const bool warmUpOver = !warmingUp_ || now - warmUpStarted_ > 300;
    if (warmingUp_ && warmUpOver) {
        if (trainingWarmUp_) fail("the warm-up training did not end within 300 s");
        warmingUp_ = trainingWarmUp_ = false;
        logLine("warm-up: gave up waiting after 300 s");
    }
    if (now >= minutes_ * 60 && quietUntil_ < 0) {
        finish();
        return;
    }
    if (!warmingUp_ && !quietAtTwoMinutes_ && now >= 120) {
        quietAtTwoMinutes_ = true;
        quieten("minute 2");
    }
    if (quietUntil_ >= 0) {
        if (now >= quietUntil_) {
            quietUntil_ = -1;
            sampleRss(true);
        }
        QTimer::singleShot(100, this, &Monkey::tick);
        return;
    }
    // A modal dialog (one an event raised, not an action) blocks the window, as for a user.
    if (!warmingUp_ && !QApplication::activeModalWidget()) {
        const Choice& choice = choices_[chooser_(random_)];
        action_ = choice.name;
        ++actionNumber_;
        expectedDialogs_.clear();
        count(action_);
        (this->*choice.act)();
        action_ += " (done)";
        expectedDialogs_.clear();
    }
    const int pause = chance(0.1) ? between(300, 1500) : between(5, 150);
    QTimer::singleShot(pause, this, &Monkey::tick);
}

bool Monkey::key(int key, Qt::KeyboardModifiers modifiers) {
    if (QApplication::activeWindow() != &window_) {
        window_.activateWindow();
        if (QApplication::activeWindow() != &window_) return false;
    }
    QTest::keyClick(&window_, static_cast<Qt::Key>(key), modifiers);
    return true;
}

void Monkey::press(QAbstractButton* button) {
    const bool mouse = chance(0.7);
    if (mouse && button->isVisible())
        QTest::mouseClick(button, Qt::LeftButton);
    else
        button->click();
}

void Monkey::stroke() {
    // Points mostly on the canvas, now and then off its edges; a single point is a dot.
    QList<QPointF> points;
    const int n = chance(0.1) ? 1 : between(2, 12);
    QPointF at(uniform(-20, 300), uniform(-20, 300));
    for (int i = 0; i < n; ++i) {
        points << at;
        at += QPointF(uniform(-80, 80), uniform(-80, 80));
        at = QPointF(std::clamp(at.x(), -40.0, 320.0), std::clamp(at.y(), -40.0, 320.0));
    }
    logLine("#%d stroke: %lld points from (%.0f, %.0f)", actionNumber_, static_cast<long long>(points.size()),
            points.first().x(), points.first().y());
    ui_test::drawStroke(window_.drawView()->canvas(), points);
}

void Monkey::hover() {
    DrawingCanvas* canvas = window_.drawView()->canvas();
    const QPointF at(uniform(0, canvas->width()), uniform(0, canvas->height()));
    logLine("#%d hover at (%.0f, %.0f)", actionNumber_, at.x(), at.y());
    QMouseEvent move(QEvent::MouseMove, at, canvas->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(canvas, &move);
    if (chance(0.3)) {
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(canvas, &leave);
    }
}

void Monkey::undo() {
    const int way = pick(3);
    logLine("#%d undo (%s)", actionNumber_, way == 0 ? "Ctrl+Z" : way == 1 ? "button" : "stack");
    if (way == 0 && key(Qt::Key_Z, Qt::ControlModifier)) return;
    if (way == 1) return press(drawUndo_);
    window_.drawView()->canvas()->undoStack()->undo();
}

void Monkey::redo() {
    const int way = pick(3);
    logLine("#%d redo (%s)", actionNumber_, way == 0 ? "Ctrl+Shift+Z" : way == 1 ? "button" : "stack");
    if (way == 0 && key(Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier)) return;
    if (way == 1) return press(drawRedo_);
    window_.drawView()->canvas()->undoStack()->redo();
}

void Monkey::clearCanvas() {
    const int way = pick(3);
    logLine("#%d clear (%s)", actionNumber_, way == 0 ? "Ctrl+Backspace" : way == 1 ? "button" : "direct");
    if (way == 0 && key(Qt::Key_Backspace, Qt::ControlModifier)) return;
    if (way == 1) return press(drawClear_);
    window_.drawView()->canvas()->clear();
}

void Monkey::switchTab() {
    const int tab = pick(3), way = pick(3);
    logLine("#%d tab %d (%s)", actionNumber_, tab, way == 0 ? "Ctrl+digit" : way == 1 ? "tab bar" : "direct");
    if (way == 0 && key(Qt::Key_1 + tab, Qt::ControlModifier)) return;
    QTabBar* bar = window_.tabs()->tabBar();
    if (way == 1 && bar->isVisible()) return QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(tab).center());
    window_.tabs()->setCurrentIndex(tab);
}

void Monkey::resizeWindow() {
    const QSize size = chance(0.15) ? QSize(between(50, 400), between(50, 300)) : QSize(between(400, 2200), between(300, 1400));
    logLine("#%d resize to %dx%d", actionNumber_, size.width(), size.height());
    window_.resize(size);
}

void Monkey::dropFile() {
    // Now and then a file training wrote (a model, its resume file, its metrics).
    // (The same draws whatever training left, so that the actions after stay the seed's.)
    const bool wantTrained = chance(0.1);
    const double which = uniform(0, 1);
    const QPoint at(between(0, std::max(1, window_.width() - 1)), between(0, std::max(1, window_.height() - 1)));
    DropFile drop;
    const QFileInfoList trained = QDir(dir_.filePath("train")).entryInfoList(QDir::Files, QDir::Name);
    if (wantTrained && !trained.isEmpty())
        drop = {"trained-file", trained[static_cast<int>(which * trained.size())].filePath(), Expect::Either};
    else
        drop = drops_[static_cast<size_t>(which * drops_.size())];
    count("drop:" + drop.kind);
    action_ = "drop " + QFileInfo(drop.path).fileName();
    if (drop.expect != Expect::Opens) expectedDialogs_ = {"Cannot open the model", "Cannot open the image"};
    logLine("#%d drop %s: %s", actionNumber_, qPrintable(drop.kind), qPrintable(drop.path));
    QMimeData mime;
    mime.setUrls({drop.path.contains("://") ? QUrl(drop.path) : QUrl::fromLocalFile(drop.path)});
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window_, &enter);
    if (!enter.isAccepted()) {
        logLine("#%d drop: the window refused the drag", actionNumber_);
        return;
    }
    QDropEvent dropEvent(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    const int dialogsBefore = dialogsSeen_;
    QApplication::sendEvent(&window_, &dropEvent);
    // The error box of a refusal is modal: it was seen (and answered) before sendEvent returned.
    if (drop.expect == Expect::Refused && dialogsSeen_ == dialogsBefore)
        fail(QString("%1 opened without an error, and should have been refused").arg(drop.path));
}

void Monkey::trainStart() {
    TrainView* view = window_.trainView();
    // Tiny runs: at most a few thousand images for a few epochs. Three names, so that a
    // start often finds an earlier run there and asks.
    const QString output = dir_.filePath(QString("train/run-%1.safetensors").arg(pick(3)));
    const int gan = between(1, 3), encoder = between(1, 2), images = between(128, 1500);
    // One run in four learns the image folder's named classes instead of MNIST's digits.
    const bool folder = chance(0.25);
    const QStringList classes = folder ? QStringList{"ring", "stick", "hook"} : QStringList{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    QStringList digits;
    for (const QString& name : classes)
        if (chance(0.2)) digits << name;
    if (digits.isEmpty() && chance(0.8)) digits << classes[pick(static_cast<int>(classes.size()))];
    const int way = pick(3);
    logLine("#%d train start (%s): %s, %d+%d epochs, %d images, %s '%s'%s", actionNumber_,
            way == 0 ? "F5" : way == 1 ? "button" : "direct", qPrintable(output), gan, encoder, images,
            folder ? "folder classes" : "digits", qPrintable(digits.join(',')), view->isTraining() ? " while training" : "");
    if (!view->isTraining()) {
        // The form is filled only between runs (a run keeps the settings it started with).
        ui_test::prepareRun(window_, output, gan, encoder, images);
        if (folder)
            view->setImageFolder(dir_.filePath("folder/train"), chance(0.5), dir_.filePath("folder/test"));
        else
            view->setImageFolder({});
        if (digits.isEmpty()) {
            for (QAbstractButton* box : view->findChild<QWidget*>("normalClasses")->findChildren<QAbstractButton*>())
                box->setChecked(false);
        } else {
            view->setNormalClasses(digits.join(','));
        }
        ++trainRuns_;
    }
    expectedDialogs_ = {"A run is already there"};
    // The buttons' keys work where the Train view shows.
    if (way == 0 && window_.tabs()->currentWidget() == view && key(Qt::Key_F5)) {
        // A button's shortcut clicks it once its press has shown (QAbstractButton::animateClick):
        // wait for that within this action, which the question belongs to.
        QTest::qWait(250);
    } else if (way == 1) {
        press(trainStart_);
    } else {
        view->start();
    }
    logLine("#%d train: %s", actionNumber_, view->isTraining() ? "running" : "not running");
}

void Monkey::trainPause() {
    const int way = pick(2);
    logLine("#%d train %s (%s)", actionNumber_, qPrintable(plain(trainPause_->text()).toLower()), way == 0 ? "F6" : "button");
    if (!(way == 0 && window_.tabs()->currentWidget() == window_.trainView() && key(Qt::Key_F6))) press(trainPause_);
    logLine("#%d train: %s", actionNumber_, !window_.trainView()->isTraining() ? "not running"
                                            : window_.trainView()->worker().paused() ? "paused" : "running");
}

void Monkey::trainCancel() {
    const int way = pick(2);
    logLine("#%d train cancel (%s)", actionNumber_, way == 0 ? "Shift+F5" : "button");
    if (!(way == 0 && window_.tabs()->currentWidget() == window_.trainView() && key(Qt::Key_F5, Qt::ShiftModifier)))
        press(trainCancel_);
}

void Monkey::trainUse() {
    logLine("#%d use the trained model (%s)", actionNumber_, trainUse_->isEnabled() ? "enabled" : "disabled");
    press(trainUse_);
}

void Monkey::exploreScore() {
    logLine("#%d explore: score the test set", actionNumber_);
    if (chance(0.5)) return press(exploreScore_);
    window_.exploreView()->scoreTestSet();
}

void Monkey::exploreCancel() {
    logLine("#%d explore: cancel (%s)", actionNumber_, window_.exploreView()->isScoring() ? "scoring" : "idle");
    if (chance(0.5)) return press(exploreCancel_);
    window_.exploreView()->cancelScoring();
}

void Monkey::colourScheme() {
    QAction* scheme = schemes_[pick(static_cast<int>(schemes_.size()))];
    logLine("#%d colours: %s", actionNumber_, qPrintable(plain(scheme->text())));
    scheme->trigger();
}

void Monkey::drawSettings() {
    DrawView* view = window_.drawView();
    const int which = pick(3);
    if (which == 0) {
        if (auto* box = view->findChild<QComboBox*>()) {
            const int index = pick(std::max(1, box->count()));
            logLine("#%d draw: colormap %d", actionNumber_, index);
            box->setCurrentIndex(index);
        }
    } else if (which == 1) {
        if (auto* slider = view->findChild<QSlider*>()) {
            const int value = between(slider->minimum(), slider->maximum());
            logLine("#%d draw: opacity %d", actionNumber_, value);
            slider->setValue(value);
        }
    } else if (auto* spin = view->findChild<QSpinBox*>()) {
        const int value = between(spin->minimum(), spin->maximum());
        logLine("#%d draw: pen width %d", actionNumber_, value);
        spin->setValue(value);
    }
}

void Monkey::exploreSettings() {
    ExploreView* view = window_.exploreView();
    const QList<QComboBox*> boxes = view->findChildren<QComboBox*>();
    const QList<QSlider*> sliders = view->findChildren<QSlider*>();
    if (!boxes.isEmpty() && (sliders.isEmpty() || chance(0.6))) {
        const int which = pick(static_cast<int>(boxes.size()));
        QComboBox* box = boxes[which];
        const int index = pick(std::max(1, box->count()));
        logLine("#%d explore: combo box %d to %d", actionNumber_, which, index);
        box->setCurrentIndex(index);
    } else if (!sliders.isEmpty()) {
        QSlider* slider = sliders[pick(static_cast<int>(sliders.size()))];
        const int value = between(slider->minimum(), slider->maximum());
        logLine("#%d explore: slider to %d", actionNumber_, value);
        slider->setValue(value);
    }
}

void Monkey::finish() {
    finishing_ = true;
    action_ = "finishing";
    expectedDialogs_ = {"Training is running"};
    logLine("finishing after %d actions", actionNumber_);
    quieten("the end");
    window_.close();
    QTimer::singleShot(5000, this, &Monkey::end);
}

void Monkey::end() {
    sampleRss(true);
    watchdog_.stop();
    if (rss_) std::fclose(rss_);
    rss_ = nullptr;

    logLine("summary: %d actions, %d training starts asked for", actionNumber_, trainRuns_);
    for (const auto& [name, n] : counts_) logLine("summary: %-24s %6d", name.c_str(), n);
    if (rssAtTwoMinutes_ >= 0)
        logLine("summary: RSS at the quiet points: %.1f MB at minute 2, %.1f MB at the end (heap in use: the .rss.csv)",
                rssAtTwoMinutes_ / 1024.0, rssKb() / 1024.0);
    logLine("summary: %d failure(s)", failures_);
    QApplication::exit(exitCode());
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
    bool ok = true;
    const double minutes = parser.value(minutesOption).toDouble(&ok);
    if (!ok || minutes <= 0) {
        logLine("bad --minutes");
        return 2;
    }
    const uint64_t seed = parser.isSet(seedOption) ? parser.value(seedOption).toULongLong(&ok)
                                                   : static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
    if (!ok) {
        logLine("bad --seed");
        return 2;
    }
    const double dialogTimeout = parser.value(dialogOption).toDouble();
    const double hangTimeout = parser.value(hangOption).toDouble();
    logLine("monkey: seed %llu, %.2f minutes, pid %d", static_cast<unsigned long long>(seed), minutes, static_cast<int>(getpid()));

    QSettings().clear();
    QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).removeRecursively();
    QApplication::setQuitOnLastWindowClosed(false);  // the monkey ends the run, with its status
    appearance::apply(ColorScheme::System);
    oddigit::set_thread_count();

    auto window = std::make_unique<MainWindow>();
    window->resize(1280, 800);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get())) {
        logLine("set-up: the window was never exposed");
        return 2;
    }
    window->activateWindow();
    if (!QTest::qWaitForWindowActive(window.get(), 2000)) logLine("set-up: the window is not active: keys go the direct way");
    if (!window->openModel(QString::fromStdString(oddigit::test::fixture_model_path()), true)) {
        logLine("set-up: the bundled model does not open: %s", qPrintable(window->lastError()));
        return 2;
    }

    auto monkey = std::make_unique<Monkey>(*window, seed, minutes, dialogTimeout, parser.value(rssOption));
    if (!monkey->prepare()) return 2;

    // The watchdog: the GUI thread beats every 100 ms, in any event loop.
    std::atomic<bool> done{false};
    g_heartbeat = g_clock.elapsed();
    std::thread watchdog([&done, hangTimeout] {
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
