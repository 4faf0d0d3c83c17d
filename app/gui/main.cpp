// oddigit: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <cstdio>

#include "appearance.h"
#include "main_window.h"
#include "oddigit/model.h"
#include "oddigit/runtime.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("Oddigit");
    QApplication::setOrganizationName("Oddigit");
    QApplication::setApplicationVersion(ODDIGIT_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription("Draw a digit and see which strokes look anomalous.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption modelOption("model", "Model file to open (default: the bundled model).", "file");
    QCommandLineOption screenshotOption("screenshot", "Save a screenshot of the window to file and quit.", "file");
    QCommandLineOption schemeOption("color-scheme", "Colours for this run: system, light or dark (default: as chosen in View > Colours).", "scheme");
    parser.addOption(modelOption);
    parser.addOption(screenshotOption);
    parser.addOption(schemeOption);
    parser.addPositionalArgument("file", "An image or a drawing (.json) to score on start.", "[file]");
    parser.process(app);
    std::optional<ColorScheme> scheme = appearance::saved();
    if (parser.isSet(schemeOption)) {
        scheme = appearance::parse(parser.value(schemeOption));
        if (!scheme) {
            std::fprintf(stderr, "oddigit: --color-scheme takes system, light or dark\n");
            return 2;
        }
    }
    appearance::apply(*scheme);

    oddigit::set_thread_count();
    MainWindow window;
    QString model = parser.value(modelOption);
    if (model.isEmpty()) {
        try {
            model = QString::fromStdString(oddigit::default_model_path());
        } catch (const std::exception&) {
            // No bundled model: the window says so and offers File > Open.
        }
    }
    if (!model.isEmpty()) window.openModel(model);
    if (!parser.positionalArguments().isEmpty()) window.openFile(parser.positionalArguments().first());
    window.show();
    if (parser.isSet(screenshotOption)) {
        const QString path = parser.value(screenshotOption);
        QTimer::singleShot(1500, &window, [&window, path] {
            window.grab().save(path);
            QApplication::quit();
        });
    }
    return app.exec();
}
