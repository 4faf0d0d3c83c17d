#pragma once
// The monkey's log, memory figures and small file helpers.
#include <QByteArray>
#include <QElapsedTimer>
#include <QString>

#include <atomic>

namespace monkey {

// Since the monkey started.
extern QElapsedTimer g_clock;
// When the GUI thread last turned its event loop (g_clock's milliseconds), for the hang watchdog.
extern std::atomic<qint64> g_heartbeat;

// Seconds since the monkey started.
double seconds();
// A line of the log (stderr), with its time.
void logLine(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Qt's own messages in the log, timed like the actions (a message handler).
void qtMessages(QtMsgType type, const QMessageLogContext&, const QString& message);

// Resident set size in kilobytes.
long rssKb();
// Bytes the program holds on the heap now, in MB: ASan's count where it runs, else glibc's (in
// use in its arenas and in its mmapped chunks). Unlike RSS it leaves out what an allocator keeps
// for itself: under ASan, the shadow and metadata of the heap's peak stay resident after a purge.
double heapMb();
// Hands the allocator's free memory back to the system, so that RSS shows what is in use.
void purgeAllocator();

// PNG's CRC-32, and a number as four big-endian bytes: for the PNG headers the monkey forges.
quint32 crc32(const QByteArray& data);
QByteArray bigEndian(quint32 value);
bool writeFile(const QString& path, const QByteArray& bytes);
QByteArray readFile(const QString& path);
// A button's or action's text without its mnemonic's '&'.
QString plain(QString text);

}  // namespace monkey
