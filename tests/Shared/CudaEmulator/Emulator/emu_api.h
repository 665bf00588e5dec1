// The contract between the emulator's driver (libcuda.so.1) and a kernel module that its NVRTC (libnvrtc.so.13)
// compiled: the module exports its thread coordinates (written by the driver before each thread runs) and takes
// the driver's barrier and shuffle entry points.
#pragma once

extern "C" {

struct emu_dim3 { unsigned x, y, z; };

struct emu_thread_state
{
    emu_dim3 threadIdx, blockIdx, blockDim, gridDim;
};

struct emu_api
{
    void (*syncthreads)();
    unsigned (*shfl_xor)(unsigned mask, unsigned bits, int lane_mask);
};

}
