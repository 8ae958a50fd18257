/* convlab's version: the one place it is written. Checkpoints record it, --version
 * prints it, and the Makefile reads it for the man page and the Debian package. */
#ifndef CONVLAB_ENGINE_VERSION_H
#define CONVLAB_ENGINE_VERSION_H

#define CONVLAB_VERSION "0.1.0"

#endif
