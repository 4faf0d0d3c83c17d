#pragma once
// The monkey: seeded random actions on the real window (see monkey_main.cpp). Its run loop is in
// monkey.cpp, its set-up (the files it drops, the controls it finds) in monkey_files.cpp, its
// actions in monkey_actions.cpp.
#include <QAction>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QPushButton>
#include <QStringList>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

class MainWindow;
class QAbstractButton;
class QWidget;

namespace monkey {

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

    // Writes the files it drops and finds the window's buttons; false (with the reason logged)
    // when the set-up fails.
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

    // The set-up (monkey_files.cpp).
    void addDrop(const QString& kind, const QString& name, const QByteArray& bytes, Expect expect);
    void addModels(const QByteArray& good);
    void addJunk();
    void addImages();
    void writeImageFolder();
    bool findControls();
    void chooseActions();

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
    // Stops the training (waiting for it) and asks Explore's pass to stop.
    void stopTrainingAndExplore();
    void finish();
    void end();

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
    // A guided run: random actions wait while a tiny training runs to its end undisturbed (the
    // random ones are mostly cancelled or replaced) and the app uses its model: the Draw view
    // judges a stroke with it and Explore scores its test set.
    void startGuidedRun(bool onFolder);
    void useGuidedModel(bool finished, const QString& path);
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
    bool guided_ = false;          // a guided run is under way: no random actions
    bool guidedTraining_ = false;  // its training runs
    bool guidedOnFolder_ = false;
    QString guidedOutput_;  // where its training writes its model
    double guidedStarted_ = 0;
    std::vector<double> guidedAt_;  // when the guided runs after the first start, in seconds
    int guidedStarts_ = 0;
    int guidedEnded_ = 0;           // guided runs whose model Draw and Explore used
    int guidedEndedOnFolder_ = 0;
    int otherTrainingsEnded_ = 0;   // random ones that reached their end
    bool finishing_ = false;

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

}  // namespace monkey
