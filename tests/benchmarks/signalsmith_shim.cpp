// A C-linkage shim over Signalsmith Stretch (MIT, header-only), for
// tests/benchmarks/bench_stretchers.py only: our own code; the library's headers are not part
// of Woodshed and are given to the compiler from wherever the benchmark's caller put them
// (-I DIR: signalsmith-stretch.h, and signalsmith-linear/ beside it).
//
// Streaming as a real-time player would: every call hands the library the input that
// belongs to this block of output (output frames x tempo, the fraction carried over), so
// the time ratio is exact over any number of blocks.
#include "signalsmith-stretch.h"

#include <vector>

struct Shim {
    signalsmith::stretch::SignalsmithStretch<float> stretch;
};

extern "C" {

// block_samples 0: the library's default preset (120 ms blocks, 30 ms interval)
void *ss_new(int channels, float sample_rate, int block_samples, int interval_samples) {
    Shim *shim = new Shim();
    if (block_samples <= 0) shim->stretch.presetDefault(channels, sample_rate);
    else shim->stretch.configure(channels, block_samples, interval_samples);
    return shim;
}

void ss_delete(void *shim) { delete static_cast<Shim *>(shim); }

void ss_reset(void *shim) { static_cast<Shim *>(shim)->stretch.reset(); }

void ss_set_transpose(void *shim, float factor) {
    static_cast<Shim *>(shim)->stretch.setTransposeFactor(factor);
}

int ss_input_latency(void *shim) { return static_cast<Shim *>(shim)->stretch.inputLatency(); }

int ss_output_latency(void *shim) { return static_cast<Shim *>(shim)->stretch.outputLatency(); }

void ss_process(void *shim, float *const *input, int input_frames, float *const *output,
                int output_frames) {
    static_cast<Shim *>(shim)->stretch.process(input, input_frames, output, output_frames);
}

}
