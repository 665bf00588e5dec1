// Runs one thread block as fibers on the calling OS thread: every CUDA thread of the block is a fiber that runs
// until it reaches __syncthreads, a warp shuffle or its end. A barrier opens when every live thread of the block has
// reached it (exited threads count as arrived, as on the hardware); a shuffle when all 32 lanes of the warp have.
// Threads that would wait on each other forever fail the launch rather than hang it.
#pragma once
#include <string>
#include "emu_api.h"

namespace emu
{
    struct BlockRun
    {
        void (*entry)(void** arguments);
        void** arguments;
        emu_thread_state* state;  // the module's thread coordinates
        emu_dim3 block_index, block_dim, grid_dim;
    };

    // Runs the block; false with the reason when its threads deadlock or shuffle with a partial warp.
    bool run_block(const BlockRun& run, std::string& error);

    // The module-facing barrier and shuffle (emu_api).
    const emu_api* fiber_api();
}
