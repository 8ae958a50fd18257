/* Where convlab's files are, from any folder: the one place that knows.
 *
 * Resource root (lessons/, assets/, the fetch script): the first folder that
 * has a lessons/ directory among the current folder (a source checkout), the
 * executable's own folder and its parents (./convlab, build/release/convlab),
 * EXE/../share/convlab (an install, wherever it was moved) and
 * PREFIX/share/convlab (PREFIX baked in at build time, default /usr/local).
 *
 * CIFAR-10: --data DIR, then $CONVLAB_DATA, then ./data/cifar-10-batches-bin
 * (the source tree), then $XDG_DATA_HOME/convlab/cifar-10-batches-bin
 * (default ~/.local/share/convlab/cifar-10-batches-bin), the first that
 * exists; `convlab --batch fetch-data` downloads into the last one.
 * Pure POSIX (no SDL): every layer may call it.
 */
#ifndef CONVLAB_PATHS_H
#define CONVLAB_PATHS_H

#include <stddef.h>

// The subfolder name of the unpacked CIFAR-10 binary version.
#define PATHS_CIFAR_SUBDIR "cifar-10-batches-bin"
// What to tell a user who has no data (ends a message line).
#define PATHS_DATA_FIX "run `convlab --batch fetch-data` (or `make data` in the source tree) to download it"

// The resource root (see above), or NULL if none has lessons/. Resolved once.
const char *paths_resource_root(void);
// Writes ROOT/rel into out if that file or folder exists; returns 0, else -1.
int paths_find_resource(char *out, size_t n, const char *rel);
// The files ROOT/dir/*ext (e.g. "assets/nets", ".net"), sorted by name, into
// out[0..max) as full paths; returns how many (0 if the folder is missing).
int paths_list_resources(char (*out)[256], int max, const char *dir, const char *ext);
// The CIFAR-10 folder to read: `given` (--data) if non-NULL and non-empty, else
// the first existing candidate of the lookup order, else the download
// location (paths_data_download_dir). Valid for the process (static storage).
const char *paths_data_dir(const char *given);
// Where fetch-data puts CIFAR-10 by default: $XDG_DATA_HOME/convlab/cifar-10-batches-bin
// (or ~/.local/share/...). Static storage.
const char *paths_data_download_dir(void);
// The lookup order as one line for messages: "--data, $CONVLAB_DATA, ...".
const char *paths_data_lookup_text(void);

#endif
