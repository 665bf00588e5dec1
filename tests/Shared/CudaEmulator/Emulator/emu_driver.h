// What the emulator's cuBLAS needs of its driver: device pointer checks and stream-ordered work.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

extern "C" {
// Whether [pointer, pointer + bytes) lies inside one device allocation (or IPC mapping).
__attribute__((visibility("default"))) bool emu_device_range(uint64_t pointer, size_t bytes);
// Queues work on a stream (0: the legacy default stream); it runs when the stream is synchronized.
__attribute__((visibility("default"))) int emu_enqueue(void* stream, std::function<void()>* work);
// Whether the calling thread has a current context.
__attribute__((visibility("default"))) bool emu_has_context();
}
