// The monkey's set-up: the files it drops on the window (good, truncated and corrupt models, junk,
// odd images), the image folder its trainings may learn, the controls it presses, its actions.
#include <QAction>
#include <QDir>
#include <QImage>
#include <QPainter>
#include <QPushButton>

#include <algorithm>

#include "draw_view.h"
#include "explore/explore_view.h"
#include "main_window.h"
#include "monkey.h"
#include "monkey_support.h"
#include "test_support.h"
#include "train_view.h"
#include "ui_test_support.h"

namespace monkey {

bool Monkey::prepare() {
    if (!dir_.isValid()) return false;
    const QString model = QString::fromStdString(oddigit::test::fixture_model_path());
    const QByteArray good = readFile(model);
    if (good.size() < 16) {
        logLine("set-up: cannot read the bundled model %s", qPrintable(model));
        return false;
    }
    addModels(good);
    addJunk();
    addImages();
    writeImageFolder();
    if (!findControls()) return false;
    chooseActions();
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

void Monkey::addDrop(const QString& kind, const QString& name, const QByteArray& bytes, Expect expect) {
    const QString path = dir_.filePath(name);
    if (!writeFile(path, bytes)) logLine("set-up: cannot write %s", qPrintable(path));
    drops_.push_back({kind, path, expect});
}

void Monkey::addModels(const QByteArray& good) {
    // Good models: the bundled one, the same with other thresholds, one from Oddigit 0.1.
    addDrop("good-model", "good.safetensors", good, Expect::Opens);
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
            addDrop("truncated-model", QString("truncated-%1.safetensors").arg(cut), good.left(cut), Expect::Refused);
    // Corrupt headers: a few bytes of the JSON changed (most no longer parse; any that still
    // do may open or be refused).
    for (int i = 0; i < 6; ++i) {
        QByteArray corrupt = good;
        for (int k = between(1, 3); k > 0; --k) corrupt[8 + pick(static_cast<int>(std::min<quint64>(headerLength, 4096)))] = static_cast<char>(between(0, 255));
        addDrop("corrupt-model", QString("corrupt-%1.safetensors").arg(i), corrupt, Expect::Either);
    }
}

void Monkey::addJunk() {
    // Junk: random bytes under each name, absurd headers, empty files, a folder, a missing file.
    auto noise = [this](int size) {
        QByteArray bytes(size, 0);
        for (char& c : bytes) c = static_cast<char>(between(0, 255));
        return bytes;
    };
    addDrop("junk", "noise.safetensors", noise(between(1, 100000)), Expect::Refused);
    addDrop("junk", "empty.safetensors", {}, Expect::Refused);
    addDrop("junk", "huge-header.safetensors", QByteArray(8, '\xff') + "{}", Expect::Refused);
    addDrop("junk", "no-tensors.safetensors", QByteArray("\x02\0\0\0\0\0\0\0{}", 10), Expect::Refused);
    {
        const QByteArray header = R"({"generator.weight":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}})";
        QByteArray length(8, 0);
        for (int i = 0; i < 8; ++i) length[i] = static_cast<char>(quint64(header.size()) >> (8 * i));
        addDrop("junk", "lying-offsets.safetensors", length + header + "1234", Expect::Refused);
    }
    addDrop("junk", "noise.png", noise(between(1, 50000)), Expect::Refused);
    addDrop("junk", "noise.jpg", noise(between(1, 50000)), Expect::Refused);
    addDrop("junk", "empty.png", {}, Expect::Refused);
    addDrop("junk", "notes.txt", "not a digit\n", Expect::Refused);
    addDrop("junk", "model.safetensors.metrics.csv", "phase,epoch\nGAN,1\n", Expect::Refused);
    QDir(dir_.path()).mkdir("folder.safetensors");
    drops_.push_back({"junk", dir_.filePath("folder.safetensors"), Expect::Refused});
    QDir(dir_.path()).mkdir("folder.png");
    drops_.push_back({"junk", dir_.filePath("folder.png"), Expect::Refused});
    drops_.push_back({"junk", dir_.filePath("missing.png"), Expect::Refused});
    drops_.push_back({"junk", dir_.filePath("missing.safetensors"), Expect::Refused});
    drops_.push_back({"junk", "https://example.invalid/remote.safetensors", Expect::Either});
}

void Monkey::addImages() {
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
    addDrop("image", "cut.png", png.left(png.size() / 2), Expect::Either);
    {
        // A PNG whose header claims 60000 x 60000 pixels: refused before anything decodes it.
        QByteArray ihdr = "IHDR" + bigEndian(60000) + bigEndian(60000) + QByteArray("\x08\x00\x00\x00\x00", 5);
        QByteArray bomb = QByteArray("\x89PNG\r\n\x1a\n", 8) + bigEndian(13) + ihdr + bigEndian(crc32(ihdr));
        addDrop("image", "bomb.png", bomb, Expect::Refused);
    }
}

void Monkey::writeImageFolder() {
    QDir(dir_.path()).mkdir("train");
    // A small image folder of three named classes (MNIST's 0s, 1s and 7s), with a test folder
    // that adds a class the models never learn, for the runs that train on a folder.
    oddigit::test::write_image_folder(dir_.filePath("folder/train").toStdString(), oddigit::test::mnist().train,
                                      {"ring", "stick", "", "", "", "", "", "hook", "", ""}, 1500);
    oddigit::test::write_image_folder(dir_.filePath("folder/test").toStdString(), oddigit::test::mnist().test,
                                      {"ring", "stick", "", "", "", "", "", "hook", "", "unseen"}, 600);
}

bool Monkey::findControls() {
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
    return true;
}

void Monkey::chooseActions() {
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
}

}  // namespace monkey
