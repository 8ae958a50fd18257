/* convlab's version: the one place it is written (the Makefile reads it for
 * the man page and the Debian package's name). */
#ifndef CONVLAB_VERSION_H
#define CONVLAB_VERSION_H

#define CONVLAB_VERSION "0.1.0"

#endif
