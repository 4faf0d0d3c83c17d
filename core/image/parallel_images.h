#pragma once
// Internal: a loop over images on OpenCV's thread pool, for the image library's loops that
// write each image's result into a slot of its own.
#include <opencv2/core/utility.hpp>
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace oddigit::detail {

// Calls body(begin, end) over [0, count) in parallel chunks and returns when all are done.
// OpenCV's pool (TBB in Debian's OpenCV) orders the caller's writes before the chunks and the
// chunks' writes before the return, but Debian's TBB is not instrumented: under ThreadSanitizer
// that order is told to it here, so it reports only what the loop itself leaves unordered.
template <typename Body>
void parallel_images(int count, const Body& body) {
#if defined(__SANITIZE_THREAD__)
    char order = 0;
    __tsan_release(&order);
    cv::parallel_for_(cv::Range(0, count), [&](const cv::Range& range) {
        __tsan_acquire(&order);
        body(range.start, range.end);
        __tsan_release(&order);
    });
    __tsan_acquire(&order);
#else
    cv::parallel_for_(cv::Range(0, count), [&](const cv::Range& range) { body(range.start, range.end); });
#endif
}

}  // namespace oddigit::detail
