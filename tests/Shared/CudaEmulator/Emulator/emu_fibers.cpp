#include "emu_fibers.h"
#include <sys/mman.h>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <vector>

// Switches stacks: saves the callee-saved registers on the current stack, stores its pointer in *save and resumes
// the stack at `next` (System V x86-64; the fiber does not change MXCSR or the x87 control word).
extern "C" void emu_switch(void** save, void* next);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");

namespace emu
{
namespace
{
    enum class State { Ready, AtBarrier, AtShuffle, Done };

    constexpr size_t StackBytes = 128 * 1024;
    constexpr int MaxThreads = 1024;

    struct Fiber
    {
        void* sp = nullptr;
        char* stack = nullptr;  // lowest address; its first page is a guard
        State state = State::Ready;
        emu_dim3 index{};
    };

    struct Block
    {
        const BlockRun* run = nullptr;
        int threads = 0;
        std::vector<Fiber> fibers = std::vector<Fiber>(MaxThreads);
        std::vector<unsigned> lanes = std::vector<unsigned>(MaxThreads);  // shuffle exchange slots
        int current = -1;
        void* scheduler_sp = nullptr;
        std::string error;
    };

    Block g_block;

    Fiber& current() { return g_block.fibers[g_block.current]; }

    void yield(State state)
    {
        Fiber& f = current();
        f.state = state;
        emu_switch(&f.sp, g_block.scheduler_sp);
    }

    void fiber_entry()
    {
        g_block.run->entry(g_block.run->arguments);
        yield(State::Done);
        std::abort();  // a finished fiber is never resumed
    }

    char* allocate_stack()
    {
        void* memory = mmap(nullptr, StackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (memory == MAP_FAILED) { std::perror("emulator: fiber stack"); std::abort(); }
        mprotect(memory, 4096, PROT_NONE);  // overflow faults instead of corrupting the next stack
        return static_cast<char*>(memory);
    }

    void prepare(Fiber& f)
    {
        if (f.stack == nullptr) f.stack = allocate_stack();
        // After emu_switch pops six registers and returns into fiber_entry, the stack is as a call would leave it.
        auto top = reinterpret_cast<uintptr_t>(f.stack + StackBytes) & ~uintptr_t{15};
        auto* words = reinterpret_cast<void**>(top);
        words[-1] = nullptr;                                   // fiber_entry's (absent) return address
        words[-2] = reinterpret_cast<void*>(&fiber_entry);
        for (int i = 3; i <= 8; i++) words[-i] = nullptr;      // r15 r14 r13 r12 rbx rbp
        f.sp = &words[-8];
        f.state = State::Ready;
    }

    void syncthreads() { yield(State::AtBarrier); }

    unsigned shfl_xor(unsigned mask, unsigned bits, int lane_mask)
    {
        int self = g_block.current;
        int lane = self & 31, warp_base = self & ~31;
        if (mask != 0xffffffffu || g_block.threads - warp_base < 32)
        {
            if (g_block.error.empty())
                g_block.error = "a shuffle with mask 0x" + std::to_string(mask) + " in a warp of " +
                    std::to_string(std::min(32, g_block.threads - warp_base)) + " lanes: the emulator supports full warps only";
            yield(State::Done);
        }
        g_block.lanes[self] = bits;
        yield(State::AtShuffle);
        unsigned result = g_block.lanes[warp_base + ((lane ^ lane_mask) & 31)];
        // A second step, so no lane overwrites its slot before every lane has read.
        yield(State::AtShuffle);
        return result;
    }

    const emu_api g_api{&syncthreads, &shfl_xor};

    // Lets through the warps whose 32 lanes all wait at the same shuffle, else the block when every live thread
    // waits at the same barrier. False when threads wait on each other in a way that can never resolve.
    bool release(std::string& error)
    {
        bool released = false;
        for (int base = 0; base < g_block.threads; base += 32)
        {
            int end = std::min(base + 32, g_block.threads), waiting = 0, done = 0;
            for (int i = base; i < end; i++)
            {
                if (g_block.fibers[i].state == State::AtShuffle) waiting++;
                else if (g_block.fibers[i].state == State::Done) done++;
            }
            if (waiting == 0) continue;
            if (waiting == end - base)
            {
                for (int i = base; i < end; i++) g_block.fibers[i].state = State::Ready;
                released = true;
            }
            else if (done > 0 && waiting + done == end - base)
            {
                error = "warp " + std::to_string(base / 32) + " shuffles with lanes that have exited";
                return false;
            }
        }
        if (released) return true;

        // Exited threads count as arrived, as on the hardware; so all live threads at a barrier have passed the
        // same number of them.
        int live = 0, at_barrier = 0;
        for (int i = 0; i < g_block.threads; i++)
        {
            const Fiber& f = g_block.fibers[i];
            if (f.state == State::Done) continue;
            live++;
            if (f.state == State::AtBarrier) at_barrier++;
        }
        if (live == 0) return true;
        if (at_barrier == live)
        {
            for (int i = 0; i < g_block.threads; i++)
                if (g_block.fibers[i].state == State::AtBarrier) g_block.fibers[i].state = State::Ready;
            return true;
        }
        error = "deadlock: some threads wait at __syncthreads while lanes of their warps wait at a shuffle";
        return false;
    }
}

const emu_api* fiber_api() { return &g_api; }

bool run_block(const BlockRun& run, std::string& error)
{
    int threads = (int)(run.block_dim.x * run.block_dim.y * run.block_dim.z);
    g_block.run = &run;
    g_block.threads = threads;
    g_block.error.clear();
    for (int i = 0; i < threads; i++)
    {
        Fiber& f = g_block.fibers[i];
        prepare(f);
        f.index = emu_dim3{i % run.block_dim.x, (i / run.block_dim.x) % run.block_dim.y, i / (run.block_dim.x * run.block_dim.y)};
    }
    run.state->blockIdx = run.block_index;
    run.state->blockDim = run.block_dim;
    run.state->gridDim = run.grid_dim;

    for (;;)
    {
        bool any_live = false;
        for (int i = 0; i < threads; i++)
        {
            Fiber& f = g_block.fibers[i];
            if (f.state == State::Ready)
            {
                g_block.current = i;
                run.state->threadIdx = f.index;
                emu_switch(&g_block.scheduler_sp, f.sp);
                if (!g_block.error.empty()) { error = g_block.error; return false; }
            }
            if (f.state != State::Done) any_live = true;
        }
        if (!any_live) return true;
        if (!release(error)) return false;
    }
}
}
