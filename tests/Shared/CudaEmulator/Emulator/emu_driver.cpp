// libcuda.so.1 for machines without a GPU: the driver API subset BlitzScale binds, over host memory, executing
// kernels that the emulator's NVRTC compiled (as host shared objects) one CUDA thread per fiber.
//
// It is strict where the real driver is: calls need cuInit and a current context, device ranges are checked, and
// work queued on a stream does not run until something waits for it (a stream or context synchronize, an event
// wait, a synchronous copy, a free). Code that reads results, or reuses a pinned buffer, before waiting for the
// work that produces or consumes it therefore sees stale data here, as it could on a GPU.
#include "emu_driver.h"
#include "emu_fibers.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace
{
    enum : int
    {
        SUCCESS = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, DEINITIALIZED = 4,
        INVALID_DEVICE = 101, INVALID_IMAGE = 200, INVALID_CONTEXT = 201, INVALID_HANDLE = 400, NOT_FOUND = 500,
        NOT_READY = 600, ILLEGAL_ADDRESS = 700, LAUNCH_FAILED = 719, HOST_MEMORY_ALREADY_REGISTERED = 712,
        HOST_MEMORY_NOT_REGISTERED = 713, NOT_SUPPORTED = 801, NO_BINARY_FOR_GPU = 209,
    };

    std::recursive_mutex g_lock;
    bool g_initialized = false;
    thread_local void* t_context = nullptr;
    int g_sticky_error = SUCCESS;

    int env_int(const char* name, int fallback)
    {
        const char* value = std::getenv(name);
        return value != nullptr && *value != 0 ? std::atoi(value) : fallback;
    }

    // BLITZ_EMU_DEVICES devices (two by default: the grid's test hosts have two GPUs each). Each has its own primary
    // context, so code that keeps one context per device is checked for using the right one; they share one memory
    // pool, one set of streams and one sticky error, which a program using the devices correctly cannot tell apart.
    constexpr int MAX_DEVICES = 16;
    int device_count()
    {
        int count = env_int("BLITZ_EMU_DEVICES", 2);
        return count < 1 ? 1 : count > MAX_DEVICES ? MAX_DEVICES : count;
    }
    bool known_device(int device) { return device >= 0 && device < device_count(); }

    int g_primary_references[MAX_DEVICES] = {};
    char g_primary_context_storage[MAX_DEVICES];
    void* primary_context(int device) { return &g_primary_context_storage[device]; }

    // The device whose primary context <context> is, or -1.
    int device_of(const void* context)
    {
        for (int d = 0; d < MAX_DEVICES; d++) if (context == primary_context(d)) return d;
        return -1;
    }

    int total_primary_references()
    {
        int total = 0;
        for (int references : g_primary_references) total += references;
        return total;
    }

    size_t total_memory() { return (size_t)env_int("BLITZ_EMU_DEVICE_MEMORY_MIB", 16384) << 20; }

    struct Allocation { size_t bytes; int fd; bool ipc; };
    std::map<uint64_t, Allocation> g_allocations;  // by base address
    size_t g_allocated = 0;

    struct HostRange { size_t bytes; bool registered; };
    std::map<uintptr_t, HostRange> g_pinned;  // cuMemHostAlloc'd or registered host ranges, by base

    const Allocation* find_allocation(uint64_t pointer, uint64_t* base)
    {
        auto it = g_allocations.upper_bound(pointer);
        if (it == g_allocations.begin()) return nullptr;
        --it;
        if (pointer >= it->first + it->second.bytes) return nullptr;
        if (base) *base = it->first;
        return &it->second;
    }

    bool device_range(uint64_t pointer, size_t bytes)
    {
        uint64_t base;
        const Allocation* a = find_allocation(pointer, &base);
        return a != nullptr && pointer + bytes <= base + a->bytes;
    }

    bool pinned(const void* pointer, size_t bytes)
    {
        auto p = reinterpret_cast<uintptr_t>(pointer);
        auto it = g_pinned.upper_bound(p);
        if (it == g_pinned.begin()) return false;
        --it;
        return p + bytes <= it->first + it->second.bytes;
    }

    // ---- streams: work runs when waited for -------------------------------------------------------------------
    struct Stream
    {
        std::deque<std::function<void()>> work;
        long long queued = 0, done = 0;
        bool blocking = true;
    };
    Stream g_legacy;  // stream 0
    std::vector<Stream*> g_streams;

    // The handle lists: whether one holds an item, and taking one out.
    template <class T> bool contains(const std::vector<T*>& list, const void* item)
    {
        for (T* each : list) if (each == item) return true;
        return false;
    }

    template <class T> bool remove_one(std::vector<T*>& list, const void* item)
    {
        for (size_t i = 0; i < list.size(); i++)
            if (list[i] == item) { list.erase(list.begin() + (long)i); return true; }
        return false;
    }

    Stream* stream_of(void* handle) { return handle == nullptr ? &g_legacy : static_cast<Stream*>(handle); }

    bool known_stream(void* handle) { return handle == nullptr || contains(g_streams, handle); }

    void drain(Stream* s, long long upto)
    {
        while (s->done < upto && !s->work.empty())
        {
            auto work = std::move(s->work.front());
            s->work.pop_front();
            s->done++;
            if (g_sticky_error == SUCCESS) work();
        }
    }

    void drain_all()
    {
        drain(&g_legacy, g_legacy.queued);
        for (Stream* s : g_streams) drain(s, s->queued);
        drain(&g_legacy, g_legacy.queued);
    }

    // The legacy stream orders against every blocking stream: work queued on one waits for all work queued before
    // it on the others. Running the earlier work at once gives that order.
    void enqueue(Stream* s, std::function<void()> work)
    {
        if (s == &g_legacy) for (Stream* other : g_streams) { if (other->blocking) drain(other, other->queued); }
        else if (s->blocking) drain(&g_legacy, g_legacy.queued);
        s->work.push_back(std::move(work));
        s->queued++;
    }

    struct Event
    {
        Stream* stream = nullptr;
        long long position = 0;
        bool recorded = false, complete = false, timing = true, queried = false;
        double milliseconds = 0;
    };
    std::vector<Event*> g_events;

    bool known_event(void* handle) { return contains(g_events, handle); }

    double now_ms()
    {
        using namespace std::chrono;
        return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
    }

    // ---- modules ------------------------------------------------------------------------------------------------
    struct Module
    {
        void* library;
        emu_thread_state* state;
        int fd;
    };
    struct Function
    {
        Module* module;
        void (*entry)(void**);
        std::vector<int> argument_sizes;
        int bounds;  // __launch_bounds__ maximum threads, 0 if none
        std::string name;
    };
    std::vector<Module*> g_modules;
    std::vector<Function*> g_functions;

    int check_context()
    {
        if (!g_initialized) return NOT_INITIALIZED;
        if (t_context == nullptr || g_primary_references[device_of(t_context)] == 0) return INVALID_CONTEXT;
        return SUCCESS;
    }

    void report(const std::string& message) { std::fprintf(stderr, "cuda emulator: %s\n", message.c_str()); }
}

#define GUARD std::lock_guard<std::recursive_mutex> guard(g_lock)
#define NEED_CONTEXT do { int c = check_context(); if (c != SUCCESS) return c; if (g_sticky_error != SUCCESS) return g_sticky_error; } while (0)

EXPORT bool emu_device_range(uint64_t pointer, size_t bytes) { GUARD; return device_range(pointer, bytes); }
EXPORT bool emu_has_context() { GUARD; return check_context() == SUCCESS; }
EXPORT int emu_enqueue(void* stream, std::function<void()>* work)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream)) return INVALID_HANDLE;
    enqueue(stream_of(stream), std::move(*work));
    return SUCCESS;
}

// ---- initialization, devices, contexts ---------------------------------------------------------------------------
EXPORT int cuInit(unsigned flags)
{
    GUARD;
    if (flags != 0) return INVALID_VALUE;
    g_initialized = true;
    return SUCCESS;
}

EXPORT int cuDriverGetVersion(int* version)
{
    if (version == nullptr) return INVALID_VALUE;
    *version = 13000;
    return SUCCESS;
}

EXPORT int cuDeviceGetCount(int* count)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (count == nullptr) return INVALID_VALUE;
    *count = device_count();
    return SUCCESS;
}

EXPORT int cuDeviceGet(int* device, int ordinal)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (device == nullptr) return INVALID_VALUE;
    if (!known_device(ordinal)) return INVALID_DEVICE;
    *device = ordinal;
    return SUCCESS;
}

EXPORT int cuDeviceGetName(char* name, int length, int device)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!known_device(device)) return INVALID_DEVICE;
    if (name == nullptr || length <= 0) return INVALID_VALUE;
    std::snprintf(name, (size_t)length, "%s", "BlitzScale CUDA emulator (CPU, not a GPU)");
    return SUCCESS;
}

EXPORT int cuDeviceGetAttribute(int* value, int attribute, int device)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!known_device(device)) return INVALID_DEVICE;
    if (value == nullptr) return INVALID_VALUE;
    switch (attribute)
    {
        case 75: *value = env_int("BLITZ_EMU_COMPUTE_MAJOR", 9); return SUCCESS;  // COMPUTE_CAPABILITY_MAJOR
        case 76: *value = env_int("BLITZ_EMU_COMPUTE_MINOR", 0); return SUCCESS;  // COMPUTE_CAPABILITY_MINOR
        case 1: *value = 1024; return SUCCESS;                                     // MAX_THREADS_PER_BLOCK
        case 16: *value = 1; return SUCCESS;                                       // MULTIPROCESSOR_COUNT
        default: return INVALID_VALUE;  // not emulated: say so rather than answer 0
    }
}

EXPORT int cuDeviceTotalMem_v2(size_t* bytes, int device)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!known_device(device)) return INVALID_DEVICE;
    if (bytes == nullptr) return INVALID_VALUE;
    *bytes = total_memory();
    return SUCCESS;
}

EXPORT int cuDevicePrimaryCtxRetain(void** context, int device)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!known_device(device)) return INVALID_DEVICE;
    if (context == nullptr) return INVALID_VALUE;
    g_primary_references[device]++;
    *context = primary_context(device);
    return SUCCESS;
}

EXPORT int cuDevicePrimaryCtxRelease_v2(int device)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!known_device(device)) return INVALID_DEVICE;
    if (g_primary_references[device] == 0) return INVALID_CONTEXT;
    if (--g_primary_references[device] == 0)
    {
        drain_all();
        // The context is destroyed with its error; the next retain starts afresh (the error is shared: see device_count).
        if (total_primary_references() == 0) g_sticky_error = SUCCESS;
    }
    return SUCCESS;
}

EXPORT int cuCtxSetCurrent(void* context)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (context != nullptr && device_of(context) < 0) return INVALID_CONTEXT;
    t_context = context;
    return SUCCESS;
}

EXPORT int cuCtxGetCurrent(void** context)
{
    GUARD;
    if (!g_initialized) return NOT_INITIALIZED;
    if (context == nullptr) return INVALID_VALUE;
    *context = t_context;
    return SUCCESS;
}

EXPORT int cuCtxSynchronize()
{
    GUARD;
    NEED_CONTEXT;
    drain_all();
    return g_sticky_error;
}

// ---- memory --------------------------------------------------------------------------------------------------
EXPORT int cuMemAlloc_v2(uint64_t* pointer, size_t bytes)
{
    GUARD;
    NEED_CONTEXT;
    if (pointer == nullptr || bytes == 0) return INVALID_VALUE;
    if (g_allocated + bytes > total_memory()) return OUT_OF_MEMORY;
    // A memfd, so another process can map the same memory through an IPC handle.
    int fd = memfd_create("cuda-emulator-allocation", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0) { if (fd >= 0) close(fd); return OUT_OF_MEMORY; }
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) { close(fd); return OUT_OF_MEMORY; }
    auto base = reinterpret_cast<uint64_t>(memory);
    g_allocations[base] = Allocation{bytes, fd, false};
    g_allocated += bytes;
    *pointer = base;
    return SUCCESS;
}

EXPORT int cuMemFree_v2(uint64_t pointer)
{
    GUARD;
    NEED_CONTEXT;
    auto it = g_allocations.find(pointer);
    if (it == g_allocations.end() || it->second.ipc) return INVALID_VALUE;
    drain_all();  // cuMemFree waits for work that may still use the memory
    munmap(reinterpret_cast<void*>(pointer), it->second.bytes);
    close(it->second.fd);
    g_allocated -= it->second.bytes;
    g_allocations.erase(it);
    return SUCCESS;
}

EXPORT int cuMemGetInfo_v2(size_t* free, size_t* total)
{
    GUARD;
    NEED_CONTEXT;
    if (free == nullptr || total == nullptr) return INVALID_VALUE;
    *total = total_memory();
    *free = *total - g_allocated;
    return SUCCESS;
}

EXPORT int cuMemGetAddressRange_v2(uint64_t* start, size_t* bytes, uint64_t pointer)
{
    GUARD;
    NEED_CONTEXT;
    uint64_t base;
    const Allocation* a = find_allocation(pointer, &base);
    if (a == nullptr) return NOT_FOUND;
    if (start) *start = base;
    if (bytes) *bytes = a->bytes;
    return SUCCESS;
}

EXPORT int cuMemHostAlloc(void** pointer, size_t bytes, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (pointer == nullptr || bytes == 0 || (flags & ~0x7u) != 0) return INVALID_VALUE;
    void* memory = nullptr;
    if (posix_memalign(&memory, 4096, bytes) != 0) return OUT_OF_MEMORY;
    g_pinned[reinterpret_cast<uintptr_t>(memory)] = HostRange{bytes, false};
    *pointer = memory;
    return SUCCESS;
}

EXPORT int cuMemFreeHost(void* pointer)
{
    GUARD;
    NEED_CONTEXT;
    auto it = g_pinned.find(reinterpret_cast<uintptr_t>(pointer));
    if (it == g_pinned.end() || it->second.registered) return INVALID_VALUE;
    drain_all();
    g_pinned.erase(it);
    std::free(pointer);
    return SUCCESS;
}

EXPORT int cuMemHostRegister_v2(void* pointer, size_t bytes, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (pointer == nullptr || bytes == 0 || (flags & ~0xfu) != 0) return INVALID_VALUE;
    auto p = reinterpret_cast<uintptr_t>(pointer);
    for (auto& [base, range] : g_pinned)
        if (p < base + range.bytes && base < p + bytes) return HOST_MEMORY_ALREADY_REGISTERED;
    g_pinned[p] = HostRange{bytes, true};
    return SUCCESS;
}

EXPORT int cuMemHostUnregister(void* pointer)
{
    GUARD;
    NEED_CONTEXT;
    auto it = g_pinned.find(reinterpret_cast<uintptr_t>(pointer));
    if (it == g_pinned.end() || !it->second.registered) return HOST_MEMORY_NOT_REGISTERED;
    drain_all();
    g_pinned.erase(it);
    return SUCCESS;
}

namespace
{
    // Synchronous copies wait for all earlier work (they run on the legacy stream).
    int copy_now(void* destination, const void* source, size_t bytes)
    {
        drain_all();
        if (g_sticky_error != SUCCESS) return g_sticky_error;
        std::memmove(destination, source, bytes);
        return SUCCESS;
    }

    int copy_async(Stream* s, void* destination, const void* source, size_t bytes, bool host_source, bool host_destination)
    {
        if (host_source && !pinned(source, bytes))
        {
            // Pageable source: the driver stages it before returning, so the caller may reuse it at once.
            auto staged = std::make_shared<std::vector<char>>((const char*)source, (const char*)source + bytes);
            enqueue(s, [=] { std::memcpy(destination, staged->data(), bytes); });
            return SUCCESS;
        }
        if (host_destination && !pinned(destination, bytes))
        {
            // Pageable destination: the copy is synchronous.
            enqueue(s, [=] { std::memcpy(destination, source, bytes); });
            drain(s, s->queued);
            return g_sticky_error;
        }
        enqueue(s, [=] { std::memmove(destination, source, bytes); });
        return SUCCESS;
    }
}

EXPORT int cuMemcpyHtoD_v2(uint64_t destination, const void* source, size_t bytes)
{
    GUARD;
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (source == nullptr || !device_range(destination, bytes)) return INVALID_VALUE;
    return copy_now(reinterpret_cast<void*>(destination), source, bytes);
}

EXPORT int cuMemcpyDtoH_v2(void* destination, uint64_t source, size_t bytes)
{
    GUARD;
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (destination == nullptr || !device_range(source, bytes)) return INVALID_VALUE;
    return copy_now(destination, reinterpret_cast<const void*>(source), bytes);
}

EXPORT int cuMemcpyDtoD_v2(uint64_t destination, uint64_t source, size_t bytes)
{
    GUARD;
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (!device_range(destination, bytes) || !device_range(source, bytes)) return INVALID_VALUE;
    // Device-to-device copies are asynchronous to the host even in their "synchronous" form.
    void* d = reinterpret_cast<void*>(destination);
    const void* s = reinterpret_cast<const void*>(source);
    enqueue(&g_legacy, [=] { std::memmove(d, s, bytes); });
    return SUCCESS;
}

EXPORT int cuMemcpyHtoDAsync_v2(uint64_t destination, const void* source, size_t bytes, void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream)) return INVALID_HANDLE;
    if (bytes == 0) return SUCCESS;
    if (source == nullptr || !device_range(destination, bytes)) return INVALID_VALUE;
    return copy_async(stream_of(stream), reinterpret_cast<void*>(destination), source, bytes, true, false);
}

EXPORT int cuMemcpyDtoHAsync_v2(void* destination, uint64_t source, size_t bytes, void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream)) return INVALID_HANDLE;
    if (bytes == 0) return SUCCESS;
    if (destination == nullptr || !device_range(source, bytes)) return INVALID_VALUE;
    return copy_async(stream_of(stream), destination, reinterpret_cast<const void*>(source), bytes, false, true);
}

EXPORT int cuMemcpyDtoDAsync_v2(uint64_t destination, uint64_t source, size_t bytes, void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream)) return INVALID_HANDLE;
    if (bytes == 0) return SUCCESS;
    if (!device_range(destination, bytes) || !device_range(source, bytes)) return INVALID_VALUE;
    return copy_async(stream_of(stream), reinterpret_cast<void*>(destination), reinterpret_cast<const void*>(source), bytes, false, false);
}

EXPORT int cuMemsetD8_v2(uint64_t destination, unsigned char value, size_t count)
{
    GUARD;
    NEED_CONTEXT;
    if (count == 0) return SUCCESS;
    if (!device_range(destination, count)) return INVALID_VALUE;
    void* d = reinterpret_cast<void*>(destination);
    enqueue(&g_legacy, [=] { std::memset(d, value, count); });
    return SUCCESS;
}

// ---- streams and events ----------------------------------------------------------------------------------------
EXPORT int cuStreamCreate(void** stream, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (stream == nullptr || (flags & ~1u) != 0) return INVALID_VALUE;
    auto* s = new Stream();
    s->blocking = (flags & 1u) == 0;  // CU_STREAM_NON_BLOCKING
    g_streams.push_back(s);
    *stream = s;
    return SUCCESS;
}

EXPORT int cuStreamDestroy_v2(void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (stream == nullptr || !known_stream(stream)) return INVALID_HANDLE;
    Stream* s = stream_of(stream);
    drain(s, s->queued);  // destroying a stream lets its queued work finish
    remove_one(g_streams, s);
    delete s;
    return SUCCESS;
}

EXPORT int cuStreamSynchronize(void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream)) return INVALID_HANDLE;
    if (stream == nullptr) drain_all();
    else drain(stream_of(stream), stream_of(stream)->queued);
    return g_sticky_error;
}

EXPORT int cuEventCreate(void** event, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (event == nullptr || (flags & ~0xfu) != 0) return INVALID_VALUE;
    auto* e = new Event();
    e->timing = (flags & 0x2u) == 0;  // CU_EVENT_DISABLE_TIMING
    g_events.push_back(e);
    *event = e;
    return SUCCESS;
}

EXPORT int cuEventDestroy_v2(void* event)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_event(event)) return INVALID_HANDLE;
    remove_one(g_events, event);
    delete static_cast<Event*>(event);
    return SUCCESS;
}

EXPORT int cuEventRecord(void* event, void* stream)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_event(event) || !known_stream(stream)) return INVALID_HANDLE;
    auto* e = static_cast<Event*>(event);
    Stream* s = stream_of(stream);
    e->recorded = true;
    e->complete = false;
    e->queried = false;
    enqueue(s, [e] { e->complete = true; e->milliseconds = now_ms(); });
    e->stream = s;
    e->position = s->queued;
    return SUCCESS;
}

namespace
{
    void wait_event(Event* e)
    {
        if (e->recorded && !e->complete) drain(e->stream, e->position);
    }
}

EXPORT int cuEventQuery(void* event)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_event(event)) return INVALID_HANDLE;
    auto* e = static_cast<Event*>(event);
    if (!e->recorded || e->complete) return SUCCESS;
    // Pending work answers "not ready" once, so callers' polling paths run too; asked again, it completes.
    if (!e->queried) { e->queried = true; return NOT_READY; }
    wait_event(e);
    return g_sticky_error != SUCCESS ? g_sticky_error : SUCCESS;
}

EXPORT int cuEventSynchronize(void* event)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_event(event)) return INVALID_HANDLE;
    wait_event(static_cast<Event*>(event));
    return g_sticky_error;
}

EXPORT int cuStreamWaitEvent(void* stream, void* event, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (!known_stream(stream) || !known_event(event)) return INVALID_HANDLE;
    if (flags != 0) return INVALID_VALUE;
    auto* e = static_cast<Event*>(event);
    if (!e->recorded) return SUCCESS;
    Stream* source = e->stream;
    long long position = e->position;
    enqueue(stream_of(stream), [source, position] { drain(source, position); });
    return SUCCESS;
}

EXPORT int cuEventElapsedTime(float* milliseconds, void* start, void* end)
{
    GUARD;
    NEED_CONTEXT;
    if (milliseconds == nullptr) return INVALID_VALUE;
    if (!known_event(start) || !known_event(end)) return INVALID_HANDLE;
    auto* a = static_cast<Event*>(start);
    auto* b = static_cast<Event*>(end);
    if (!a->timing || !b->timing) return INVALID_HANDLE;
    if (!a->recorded || !b->recorded) return INVALID_HANDLE;
    if (!a->complete || !b->complete) return NOT_READY;
    *milliseconds = (float)(b->milliseconds - a->milliseconds);
    return SUCCESS;
}

// ---- modules and launches --------------------------------------------------------------------------------------
EXPORT int cuModuleLoadData(void** module, const void* image)
{
    GUARD;
    NEED_CONTEXT;
    if (module == nullptr || image == nullptr) return INVALID_VALUE;
    const auto* bytes = static_cast<const unsigned char*>(image);
    if (std::memcmp(bytes, "\x7f" "ELF", 4) != 0 || bytes[4] != 2) return INVALID_IMAGE;
    uint16_t machine;
    std::memcpy(&machine, bytes + 18, 2);
    if (machine != 62) return NO_BINARY_FOR_GPU;  // a real cubin (EM_CUDA) has nothing this emulator can run
    uint64_t section_table;
    uint16_t entry_size, entries;
    std::memcpy(&section_table, bytes + 0x28, 8);
    std::memcpy(&entry_size, bytes + 0x3a, 2);
    std::memcpy(&entries, bytes + 0x3c, 2);
    size_t size = section_table + (size_t)entry_size * entries;  // the linker puts the section table last

    int fd = memfd_create("cuda-emulator-module", MFD_CLOEXEC);
    if (fd < 0 || write(fd, image, size) != (ssize_t)size) { if (fd >= 0) close(fd); return INVALID_IMAGE; }
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) { report(std::string("module load: ") + dlerror()); close(fd); return INVALID_IMAGE; }
    auto bind = reinterpret_cast<void (*)(const emu_api*)>(dlsym(library, "__emu_bind"));
    auto* state = static_cast<emu_thread_state*>(dlsym(library, "__emu_state"));
    if (bind == nullptr || state == nullptr || dlsym(library, "__emu_module_marker") == nullptr)
    {
        dlclose(library);
        close(fd);
        return INVALID_IMAGE;
    }
    bind(emu::fiber_api());
    auto* m = new Module{library, state, fd};
    g_modules.push_back(m);
    *module = m;
    return SUCCESS;
}

EXPORT int cuModuleUnload(void* module)
{
    GUARD;
    NEED_CONTEXT;
    auto* m = static_cast<Module*>(module);
    if (!remove_one(g_modules, m)) return INVALID_HANDLE;
    drain_all();
    for (size_t i = 0; i < g_functions.size();)
        if (g_functions[i]->module == m) { delete g_functions[i]; g_functions.erase(g_functions.begin() + (long)i); } else i++;
    dlclose(m->library);
    close(m->fd);
    delete m;
    return SUCCESS;
}

EXPORT int cuModuleGetFunction(void** function, void* module, const char* name)
{
    GUARD;
    NEED_CONTEXT;
    if (function == nullptr || name == nullptr) return INVALID_VALUE;
    auto* m = static_cast<Module*>(module);
    if (!contains(g_modules, m)) return INVALID_HANDLE;
    std::string launch = std::string("__emu_launch_") + name, sizes = std::string("__emu_args_") + name,
        bounds = std::string("__emu_bounds_") + name;
    auto entry = reinterpret_cast<void (*)(void**)>(dlsym(m->library, launch.c_str()));
    auto describe = reinterpret_cast<int (*)(int*, int)>(dlsym(m->library, sizes.c_str()));
    auto* bound = static_cast<const int*>(dlsym(m->library, bounds.c_str()));
    if (entry == nullptr || describe == nullptr || bound == nullptr) return NOT_FOUND;
    auto* f = new Function{m, entry, {}, *bound, name};
    int count = describe(nullptr, 0);
    f->argument_sizes.resize((size_t)count);
    describe(f->argument_sizes.data(), count);
    g_functions.push_back(f);
    *function = f;
    return SUCCESS;
}

EXPORT int cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z, unsigned block_x,
    unsigned block_y, unsigned block_z, unsigned shared_bytes, void* stream, void** parameters, void** extra)
{
    GUARD;
    NEED_CONTEXT;
    if (!contains(g_functions, function)) return INVALID_HANDLE;
    if (!known_stream(stream)) return INVALID_HANDLE;
    auto* f = static_cast<Function*>(function);
    if (grid_x == 0 || grid_y == 0 || grid_z == 0 || block_x == 0 || block_y == 0 || block_z == 0) return INVALID_VALUE;
    if (grid_y > 65535 || grid_z > 65535 || block_x > 1024 || block_y > 1024 || block_z > 64) return INVALID_VALUE;
    unsigned threads = block_x * block_y * block_z;
    if (threads > 1024) return INVALID_VALUE;
    if (f->bounds > 0 && threads > (unsigned)f->bounds)
    {
        report(f->name + ": " + std::to_string(threads) + " threads per block exceed its __launch_bounds__(" + std::to_string(f->bounds) + ")");
        return 701;  // CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES
    }
    if (extra != nullptr || shared_bytes != 0)
    {
        report(f->name + ": dynamic shared memory and 'extra' launch parameters are not emulated");
        return NOT_SUPPORTED;
    }
    if (parameters == nullptr && !f->argument_sizes.empty()) return INVALID_VALUE;

    // The driver copies the argument values at launch: the caller's array may be gone when the kernel runs.
    size_t count = f->argument_sizes.size();
    auto values = std::make_shared<std::vector<uint64_t>>(count * 2);  // 16 bytes a value
    for (size_t i = 0; i < count; i++)
    {
        if (f->argument_sizes[i] > 16) return NOT_SUPPORTED;
        std::memcpy(&(*values)[i * 2], parameters[i], (size_t)f->argument_sizes[i]);
    }
    emu_dim3 grid{grid_x, grid_y, grid_z}, block{block_x, block_y, block_z};
    enqueue(stream_of(stream), [f, values, grid, block, count] {
        std::vector<void*> pointers(count);
        for (size_t i = 0; i < count; i++) pointers[i] = &(*values)[i * 2];
        emu::BlockRun run{f->entry, pointers.data(), f->module->state, {}, block, grid};
        for (unsigned z = 0; z < grid.z; z++)
            for (unsigned y = 0; y < grid.y; y++)
                for (unsigned x = 0; x < grid.x; x++)
                {
                    run.block_index = emu_dim3{x, y, z};
                    std::string error;
                    if (!emu::run_block(run, error))
                    {
                        report(f->name + " block (" + std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(z) + "): " + error);
                        g_sticky_error = LAUNCH_FAILED;
                        return;
                    }
                }
    });
    return SUCCESS;
}

// ---- IPC: an allocation's memfd, opened through /proc by the other process ----------------------------------------
namespace
{
    struct IpcHandle
    {
        char magic[8];
        int32_t pid;
        int32_t fd;
        uint64_t bytes;
        char unused[40];
    };
    static_assert(sizeof(IpcHandle) == 64, "CUipcMemHandle is 64 bytes");
    const char IpcMagic[8] = {'B', 'L', 'Z', 'E', 'M', 'U', 'I', 'P'};
}

EXPORT int cuIpcGetMemHandle(IpcHandle* handle, uint64_t pointer)
{
    GUARD;
    NEED_CONTEXT;
    if (handle == nullptr) return INVALID_VALUE;
    auto it = g_allocations.find(pointer);
    if (it == g_allocations.end() || it->second.ipc) return INVALID_VALUE;  // only a whole cuMemAlloc allocation
    IpcHandle h{};
    std::memcpy(h.magic, IpcMagic, 8);
    h.pid = getpid();
    h.fd = it->second.fd;
    h.bytes = it->second.bytes;
    *handle = h;
    return SUCCESS;
}

EXPORT int cuIpcOpenMemHandle_v2(uint64_t* pointer, IpcHandle handle, unsigned flags)
{
    GUARD;
    NEED_CONTEXT;
    if (pointer == nullptr || flags > 1 || std::memcmp(handle.magic, IpcMagic, 8) != 0) return INVALID_VALUE;
    if (handle.pid == getpid()) return INVALID_CONTEXT;  // as the driver does: a process cannot open its own handle
    std::string path = "/proc/" + std::to_string(handle.pid) + "/fd/" + std::to_string(handle.fd);
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return INVALID_VALUE;
    void* memory = mmap(nullptr, handle.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) { close(fd); return INVALID_VALUE; }
    auto base = reinterpret_cast<uint64_t>(memory);
    g_allocations[base] = Allocation{handle.bytes, fd, true};
    *pointer = base;
    return SUCCESS;
}

EXPORT int cuIpcCloseMemHandle(uint64_t pointer)
{
    GUARD;
    NEED_CONTEXT;
    auto it = g_allocations.find(pointer);
    if (it == g_allocations.end() || !it->second.ipc) return INVALID_VALUE;
    drain_all();
    munmap(reinterpret_cast<void*>(pointer), it->second.bytes);
    close(it->second.fd);
    g_allocations.erase(it);
    return SUCCESS;
}

// ---- errors ------------------------------------------------------------------------------------------------------
EXPORT int cuGetErrorName(int result, const char** name)
{
    if (name == nullptr) return INVALID_VALUE;
    switch (result)
    {
        case SUCCESS: *name = "CUDA_SUCCESS"; return SUCCESS;
        case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; return SUCCESS;
        case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return SUCCESS;
        case NOT_INITIALIZED: *name = "CUDA_ERROR_NOT_INITIALIZED"; return SUCCESS;
        case INVALID_DEVICE: *name = "CUDA_ERROR_INVALID_DEVICE"; return SUCCESS;
        case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; return SUCCESS;
        case INVALID_CONTEXT: *name = "CUDA_ERROR_INVALID_CONTEXT"; return SUCCESS;
        case NO_BINARY_FOR_GPU: *name = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return SUCCESS;
        case INVALID_HANDLE: *name = "CUDA_ERROR_INVALID_HANDLE"; return SUCCESS;
        case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; return SUCCESS;
        case NOT_READY: *name = "CUDA_ERROR_NOT_READY"; return SUCCESS;
        case 701: *name = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; return SUCCESS;
        case HOST_MEMORY_ALREADY_REGISTERED: *name = "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED"; return SUCCESS;
        case HOST_MEMORY_NOT_REGISTERED: *name = "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED"; return SUCCESS;
        case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; return SUCCESS;
        case NOT_SUPPORTED: *name = "CUDA_ERROR_NOT_SUPPORTED"; return SUCCESS;
        default: *name = nullptr; return INVALID_VALUE;
    }
}
