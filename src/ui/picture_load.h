/* Decoding a student's picture file with SDL2_image (PNG, JPEG, GIF's first
 * frame, BMP, WebP if the library has it, TGA) into a Picture (engine/picture.h).
 * The header is probed first (picture_probe), so an oversized, truncated,
 * CMYK or not-a-picture file is refused with one line naming it and the fix.
 * Called by --batch predict/render and the window (--image, a dropped file).
 */
#ifndef CONVLAB_PICTURE_LOAD_H
#define CONVLAB_PICTURE_LOAD_H

#include "engine/error.h"
#include "engine/picture.h"

#define PICTURE_MAX_FILE_BYTES (256L * 1024 * 1024)  // larger files are refused before reading

// Reads, probes, decodes and converts the file at path into out. On failure
// err is "PATH: what is wrong; what to do" and out is cleared.
int picture_load_file(Picture *out, const char *path, ClError *err);

#endif
