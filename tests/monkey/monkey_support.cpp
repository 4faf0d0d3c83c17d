#include "monkey_support.h"

#include <QFile>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

// ASan's allocator (weak: absent from a build without the sanitizers).
extern "C" __attribute__((weak)) void __sanitizer_purge_allocator();
extern "C" __attribute__((weak)) size_t __sanitizer_get_current_allocated_bytes();

namespace monkey {

QElapsedTimer g_clock;
std::atomic<qint64> g_heartbeat{0};

double seconds() { return g_clock.isValid() ? g_clock.nsecsElapsed() / 1e9 : 0.0; }

void logLine(const char* format, ...) {
    char text[4096];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::fprintf(stderr, "[%9.3f] %s\n", seconds(), text);
    std::fflush(stderr);
}

void qtMessages(QtMsgType type, const QMessageLogContext&, const QString& message) {
    static const char* const kinds[] = {"debug", "warning", "critical", "fatal", "info"};
    logLine("qt %s: %s", kinds[std::clamp(static_cast<int>(type), 0, 4)], qPrintable(message));
    if (type == QtFatalMsg) std::abort();
}

long rssKb() {
    long pages = 0, resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(statm);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

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

}  // namespace monkey
