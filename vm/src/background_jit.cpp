// LoadOptions::jit_in_background: one thread compiles the native code of the programs loaded so,
// one at a time and in the order loaded, while the interpreter runs them. It runs at a lower
// priority than the threads that decode: the native code is a speed-up, the frames are the job.
#include "background_jit.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "jit/jit.h"

namespace pvm {
namespace detail {

// Added to the compiling thread's nice value.
constexpr int kNiceness = 10;

class BackgroundJit {
 public:
  // Made the first time a program asks, after the JIT library was loaded: destroyed before it at
  // exit, so that the compile in progress finishes while LLVM is still whole.
  static BackgroundJit& get() {
    static BackgroundJit instance;
    return instance;
  }

  void add(std::shared_ptr<Program> program, std::string cache_dir) {
    std::lock_guard lock(mutex_);
    jobs_.push_back({std::move(program), std::move(cache_dir)});
    wake_.notify_one();
  }

  ~BackgroundJit() {
    std::deque<Job> dropped;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      dropped.swap(jobs_);
    }
    wake_.notify_one();
    thread_.join();
    for (Job& job : dropped)
      job.program->publish_jit(nullptr, "the process stopped before the JIT compiled it");
  }

 private:
  struct Job {
    std::shared_ptr<Program> program;
    std::string cache_dir;
  };

  BackgroundJit() : thread_([this] { run(); }) {}

  void run() {
    pthread_setname_np(pthread_self(), "pvm-jit");
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), getpriority(PRIO_PROCESS, 0) + kNiceness);
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      // A program held only by its job will never run again: not worth compiling.
      if (job.program.use_count() > 1) job.program->compile_jit(job.cache_dir);
      job.program.reset();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is made
};

void compile_in_background(std::shared_ptr<Program> program, std::string cache_dir) {
  BackgroundJit::get().add(std::move(program), std::move(cache_dir));
}

}  // namespace detail
}  // namespace pvm
