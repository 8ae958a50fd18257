/* One line, in the lesson's language, saying what a PyTorch error shown raw
 * means and what to change: the error boxes print PyTorch's own English words
 * (they are what the student will meet) and, in Chinese, this line above them.
 */
#ifndef CONVLAB_ERROR_EXPLAIN_H
#define CONVLAB_ERROR_EXPLAIN_H

#include "ui/view.h"

// The explanation of PyTorch's message msg for lang (NULL in English or for a
// message no rule knows: the raw text then stands alone). Static text.
const char *explain_pytorch_error(Lang lang, const char *msg);

// Writes into out (cap bytes) the body an error box shows: in Chinese the
// explanation, a blank line and "PyTorch 原文：" with msg; else msg itself.
void format_pytorch_error(char *out, size_t cap, Lang lang, const char *msg);

#endif
