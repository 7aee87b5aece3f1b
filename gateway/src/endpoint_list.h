// An intrusive doubly-linked list: an element links itself through a hook it holds, so moving
// it to the back (the most recent) or taking it out costs no allocation and no search. The
// worker keeps its UDP peers in least-recently-heard order and its unfinished frames in the
// order they began this way.
#pragma once

#include <cstddef>

namespace pvm::gateway {

template <typename T>
struct ListHook {
  T* prev = nullptr;
  T* next = nullptr;
  bool linked = false;
};

template <typename T, ListHook<T> T::*Hook>
class IntrusiveList {
 public:
  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  T* front() const { return head_; }
  static bool contains(const T& x) { return (x.*Hook).linked; }

  void push_back(T& x) {
    ListHook<T>& h = x.*Hook;
    h.prev = tail_;
    h.next = nullptr;
    h.linked = true;
    (tail_ != nullptr ? (tail_->*Hook).next : head_) = &x;
    tail_ = &x;
    ++size_;
  }

  void remove(T& x) {
    ListHook<T>& h = x.*Hook;
    if (!h.linked) return;
    (h.prev != nullptr ? (h.prev->*Hook).next : head_) = h.next;
    (h.next != nullptr ? (h.next->*Hook).prev : tail_) = h.prev;
    h = {};
    --size_;
  }

  void move_to_back(T& x) {
    remove(x);
    push_back(x);
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace pvm::gateway
