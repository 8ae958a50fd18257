/* The --help text: a header, every command's usage, options and notes from
 * the one option table (each command's Flag rows, see flags.h), then the
 * sections that belong to no single command. The man page is made from this
 * text, and tests/sh/cli_help.sh checks that it covers every option.
 */
#include "app/app.h"
#include "app/flags.h"

#include <stdio.h>

static const char HEADER[] =
"convlab: watch a convolutional network learn CIFAR-10, step by step.\n"
"\n"
"USAGE:\n";

static const char SECTIONS[] =
"  convlab --help\n"
"      This text.\n"
"\n"
"  convlab --version\n"
"      Prints \"convlab VERSION\" and \"kernels: TIER\", the vector kernels this CPU runs.\n"
"\n"
"CHECKPOINTS:\n"
"  safetensors files with PyTorch's state_dict names and shapes (conv1.weight [8,3,5,5],\n"
"  conv1.bias [8], conv2.weight [16,8,3,3], conv2.bias [16], fc1.weight [128,576],\n"
"  fc1.bias [128], fc2.weight [10,128], fc2.bias [10]), so they load into\n"
"  torch's load_state_dict and back. Saves are atomic: an interrupted save never\n"
"  damages the previous file.\n"
"\n"
"EXIT STATUS:\n"
"  0 success; 1 failure (missing data, bad checkpoint, the loss became NaN);\n"
"  2 bad usage (unknown option, bad value); 130 interrupted (Ctrl-C or SIGTERM:\n"
"  training finishes the current mini-batch and writes --save first).\n"
"\n"
"DATA:\n"
"  CIFAR-10 is read from the first that exists of: --data DIR, $CONVLAB_DATA,\n"
"  ./data/cifar-10-batches-bin (the source tree), $XDG_DATA_HOME/convlab/cifar-10-batches-bin\n"
"  (default ~/.local/share/convlab/cifar-10-batches-bin). Lessons and themes come from\n"
"  the folder of the program (the source tree) or PREFIX/share/convlab (make install).\n"
"\n"
"ENVIRONMENT:\n"
"  CONVLAB_DATA     the CIFAR-10 folder when --data is not given\n"
"  XDG_DATA_HOME    where fetch-data puts CIFAR-10 (default ~/.local/share)\n"
"  CONVLAB_CHECKPOINT  the training screen's S/O file (default convlab-checkpoint.safetensors)\n"
"  CONVLAB_AUTOSAVE the file quitting the training screen saves a run to (Esc, Q, closing\n"
"                   the window, SIGTERM), and O offers next time\n"
"                   (default ./convlab-autosave.safetensors)\n"
"  (fetch-data, make data:)\n"
"  CIFAR10_URL      download source (default the official tarball; file:// works)\n"
"  CIFAR10_SHA256   expected SHA-256 of the tarball; CIFAR10_MD5 expected MD5\n"
"  CONVLAB_ISA      force a kernel tier: avx512, avx2, sse2 (x86-64), neon (aarch64) or\n"
"                   scalar; one this CPU cannot run is an error (exit 2)\n";

void app_print_help(void) {
    fputs(HEADER, stdout);
    int n;
    const Command *const *cmds = app_commands(&n);
    help_print_commands(stdout, cmds, n);
    fputs(SECTIONS, stdout);
}
