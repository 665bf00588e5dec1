// libnvrtc.so.13 for the CUDA emulator: "compiles" a CUDA C++ program with the host C++ compiler into a shared
// object that the emulator's driver loads as a module. The program is put after emu_prelude.h (found beside this
// library) under a #line naming the program, so errors point at the program's own lines; each extern "C" kernel
// gets an entry point taking cuLaunchKernel's argument array, its argument sizes and its __launch_bounds__.
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace
{
    enum : int
    {
        SUCCESS = 0, OUT_OF_MEMORY = 1, PROGRAM_CREATION_FAILURE = 2, INVALID_INPUT = 3, INVALID_PROGRAM = 4,
        INVALID_OPTION = 5, COMPILATION = 6, INTERNAL_ERROR = 11,
    };

    struct Program
    {
        std::string source, name, log;
        std::vector<char> image;
        bool compiled = false;
    };

    std::string own_directory()
    {
        Dl_info info{};
        dladdr(reinterpret_cast<void*>(&own_directory), &info);
        std::string path = info.dli_fname != nullptr ? info.dli_fname : "";
        size_t slash = path.rfind('/');
        return slash == std::string::npos ? "." : path.substr(0, slash);
    }

    struct Kernel { std::string name; int bounds; };

    // The extern "C" __global__ functions of the source, with their __launch_bounds__ (0 if none).
    std::vector<Kernel> kernels(const std::string& source)
    {
        std::vector<Kernel> found;
        size_t at = 0;
        while ((at = source.find("__global__", at)) != std::string::npos)
        {
            size_t line = source.rfind('\n', at);
            std::string before = source.substr(line == std::string::npos ? 0 : line + 1, at - (line == std::string::npos ? 0 : line + 1));
            at += 10;
            if (before.find("extern \"C\"") == std::string::npos) continue;  // a mangled kernel has no plain name
            size_t paren = source.find('(', at);
            if (paren == std::string::npos) break;
            std::string head = source.substr(at, paren - at);
            int bounds = 0;
            size_t lb = head.find("__launch_bounds__");
            if (lb != std::string::npos)
            {
                size_t close = source.find(')', paren);
                bounds = std::atoi(source.substr(paren + 1, close - paren - 1).c_str());
                at = close + 1;
                paren = source.find('(', at);
                head = source.substr(at, paren - at);
            }
            size_t end = head.find_last_not_of(" \t\n");
            size_t begin = end;
            while (begin > 0 && (std::isalnum((unsigned char)head[begin - 1]) || head[begin - 1] == '_')) begin--;
            found.push_back(Kernel{head.substr(begin, end - begin + 1), bounds});
            at = paren;
        }
        return found;
    }

    bool option_known(const std::string& o)
    {
        static const char* prefixes[] = {"--gpu-architecture=", "-arch=", "-std=", "--std=", "-ftz=", "-prec-div=", "-prec-sqrt=",
            "-fmad=", "--fmad=", "-D", "-I", "--ptxas-options=", "-Xptxas", "-lineinfo", "--use_fast_math", "-use_fast_math",
            "-default-device", "-G", "--device-debug", "-maxrregcount="};
        for (const char* p : prefixes) if (o.rfind(p, 0) == 0) return true;
        return false;
    }

    int run_compiler(const std::string& command, std::string& output)
    {
        FILE* pipe = popen((command + " 2>&1").c_str(), "r");
        if (pipe == nullptr) { output = "could not start the host compiler"; return -1; }
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
        int status = pclose(pipe);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
}

EXPORT int nvrtcVersion(int* major, int* minor)
{
    if (major == nullptr || minor == nullptr) return INVALID_INPUT;
    *major = 13;
    *minor = 0;
    return SUCCESS;
}

EXPORT int nvrtcCreateProgram(Program** program, const char* source, const char* name, int headers,
    const char* const* header_sources, const char* const* include_names)
{
    (void)header_sources; (void)include_names;
    if (program == nullptr || source == nullptr) return INVALID_INPUT;
    if (headers != 0) return INVALID_INPUT;  // in-memory headers are not emulated
    auto* p = new Program();
    p->source = source;
    p->name = name != nullptr ? name : "default_program";
    *program = p;
    return SUCCESS;
}

EXPORT int nvrtcDestroyProgram(Program** program)
{
    if (program == nullptr || *program == nullptr) return INVALID_PROGRAM;
    delete *program;
    *program = nullptr;
    return SUCCESS;
}

EXPORT int nvrtcCompileProgram(Program* p, int count, const char* const* options)
{
    if (p == nullptr) return INVALID_PROGRAM;
    if (count < 0 || (count > 0 && options == nullptr)) return INVALID_INPUT;
    std::string arch, defines;
    for (int i = 0; i < count; i++)
    {
        std::string o = options[i];
        if (!option_known(o)) { p->log = "nvrtc: error: unrecognized option " + o + "\n"; return INVALID_OPTION; }
        if (o.rfind("--gpu-architecture=", 0) == 0) arch = o.substr(19);
        else if (o.rfind("-arch=", 0) == 0) arch = o.substr(6);
        else if (o.rfind("-D", 0) == 0) defines += " '" + o + "'";
    }
    if (arch.rfind("sm_", 0) != 0 && arch.rfind("compute_", 0) != 0 && !arch.empty())
    {
        p->log = "nvrtc: error: invalid value for --gpu-architecture (-arch): " + arch + "\n";
        return INVALID_OPTION;
    }

    char directory[] = "/tmp/cuda-emulator-nvrtc-XXXXXX";
    if (mkdtemp(directory) == nullptr) return INTERNAL_ERROR;
    std::string dir = directory, source_path = dir + "/program.cpp", image_path = dir + "/program.so";
    {
        std::ofstream out(source_path);
        out << "#include \"emu_prelude.h\"\n#line 1 \"" << p->name << "\"\n" << p->source << "\n#line 100000 \"emulator-entry-points\"\n";
        for (const Kernel& k : kernels(p->source))
        {
            out << "extern \"C\" __attribute__((visibility(\"default\"))) void __emu_launch_" << k.name
                << "(void** a) { __emu_invoke(" << k.name << ", a); }\n";
            out << "extern \"C\" __attribute__((visibility(\"default\"))) int __emu_args_" << k.name
                << "(int* s, int n) { return __emu_argument_sizes(" << k.name << ", s, n); }\n";
            out << "extern \"C\" __attribute__((visibility(\"default\"))) const int __emu_bounds_" << k.name << " = " << k.bounds << ";\n";
        }
    }
    const char* compiler = std::getenv("BLITZ_EMU_CXX");
    std::string command = std::string(compiler != nullptr && *compiler ? compiler : "g++") +
        " -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -Wno-unknown-pragmas -I'" + own_directory() + "'" + defines +
        " -x c++ '" + source_path + "' -o '" + image_path + "'";
    std::string output;
    int status = run_compiler(command, output);
    p->log = output;
    if (status == 0)
    {
        std::ifstream in(image_path, std::ios::binary);
        p->image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::remove(source_path.c_str());
    std::remove(image_path.c_str());
    rmdir(directory);
    if (status != 0 || p->image.empty()) return COMPILATION;
    p->compiled = true;
    return SUCCESS;
}

EXPORT int nvrtcGetProgramLogSize(Program* p, size_t* size)
{
    if (p == nullptr) return INVALID_PROGRAM;
    if (size == nullptr) return INVALID_INPUT;
    *size = p->log.size() + 1;
    return SUCCESS;
}

EXPORT int nvrtcGetProgramLog(Program* p, char* log)
{
    if (p == nullptr) return INVALID_PROGRAM;
    if (log == nullptr) return INVALID_INPUT;
    std::memcpy(log, p->log.c_str(), p->log.size() + 1);
    return SUCCESS;
}

EXPORT int nvrtcGetCUBINSize(Program* p, size_t* size)
{
    if (p == nullptr || !p->compiled) return INVALID_PROGRAM;
    if (size == nullptr) return INVALID_INPUT;
    *size = p->image.size();
    return SUCCESS;
}

EXPORT int nvrtcGetCUBIN(Program* p, char* image)
{
    if (p == nullptr || !p->compiled) return INVALID_PROGRAM;
    if (image == nullptr) return INVALID_INPUT;
    std::memcpy(image, p->image.data(), p->image.size());
    return SUCCESS;
}

EXPORT const char* nvrtcGetErrorString(int result)
{
    switch (result)
    {
        case SUCCESS: return "NVRTC_SUCCESS";
        case OUT_OF_MEMORY: return "NVRTC_ERROR_OUT_OF_MEMORY";
        case PROGRAM_CREATION_FAILURE: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
        case INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
        case INVALID_PROGRAM: return "NVRTC_ERROR_INVALID_PROGRAM";
        case INVALID_OPTION: return "NVRTC_ERROR_INVALID_OPTION";
        case COMPILATION: return "NVRTC_ERROR_COMPILATION";
        case INTERNAL_ERROR: return "NVRTC_ERROR_INTERNAL_ERROR";
        default: return "NVRTC_ERROR unknown";
    }
}
