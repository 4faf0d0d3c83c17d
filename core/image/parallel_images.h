#pragma once
// Internal: a loop over images on OpenCV's thread pool, for the image library's loops that
// write each image's result into a slot of its own.
#include <opencv2/core/utility.hpp>
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace oddigit::detail {

// OpenCV's pool (TBB in Debian's OpenCV) orders the caller's writes before the chunks and the
// chunks' writes before parallel_for_() returns, but Debian's TBB is not instrumented: under
// ThreadSanitizer that order is told to it here, so it reports only what a loop itself leaves
// unordered. The body is built before the loop starts (cv::parallel_for_'s lambda overload
// would build its wrapper after the order is told).
template <typename Body>
class ImageLoop final : public cv::ParallelLoopBody {
public:
    explicit ImageLoop(const Body& body) : body_(body) {}
    void operator()(const cv::Range& range) const override {
#if defined(__SANITIZE_THREAD__)
        __tsan_acquire(const_cast<char*>(&order_));
        body_(range.start, range.end);
        __tsan_release(const_cast<char*>(&order_));
#else
        body_(range.start, range.end);
#endif
    }
    void run(int count) const {
#if defined(__SANITIZE_THREAD__)
        __tsan_release(const_cast<char*>(&order_));
        cv::parallel_for_(cv::Range(0, count), *this);
        __tsan_acquire(const_cast<char*>(&order_));
#else
        cv::parallel_for_(cv::Range(0, count), *this);
#endif
    }

private:
    const Body& body_;
    char order_ = 0;  // the address the order is told on
};

// Calls body(begin, end) over [0, count) in parallel chunks and returns when all are done.
template <typename Body>
void parallel_images(int count, const Body& body) {
    ImageLoop<Body>(body).run(count);
}

}  // namespace oddigit::detail
