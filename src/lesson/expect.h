/* Claims a lesson makes about its computed scene, checked by lessons-check.
 * A step's `expect` key holds claims separated by ';', each a comparison of
 * two expressions over the numbers of the step's dump (scene_dump, the text
 * `--batch lesson --dump` prints), e.g.
 *
 *   expect = count(indices, 6) == 3; cell(output, 1, 1) == 5
 *
 * The language (lessons/README.md has the reference):
 *   numbers        12, -0.5, 1e-3
 *   cell(G, r, c)  grid G's cell at row r, column c (0-based; G as the dump
 *                  names it: input, kernel, output, out[0] ...)
 *   rows(G) cols(G) sum(G) min(G) max(G) count(G, v)
 *                  a grid's size, sum, extremes, and how many cells equal v;
 *                  a dump line of numbers only ("indices 6 6 3") is a 1xN grid
 *   value(L, W)    the number after the word W on the dump line that starts
 *                  with the word L (L:K: the line whose second word is K, e.g.
 *                  value(layer:conv1, params))
 *   item(L, k)     the k-th number (0-based) on that line
 *   param(K)       the step's current value of scene key K (its live
 *                  override if any; true/false are 1/0), so a claim can be
 *                  written in terms of the settings a student may change
 *   floor(x) ceil(x) abs(x)
 *   cnnnet: CLAIM  a claim about CNNNet's own numbers, skipped with --net FILE
 *   + - * / ( )    arithmetic
 *   == != < <= > >=  the comparison; == and != allow the 6 significant digits
 *                  the dump prints
 */
#ifndef CONVLAB_EXPECT_H
#define CONVLAB_EXPECT_H

#include <stdio.h>
#include "lesson/lesson.h"
#include "lesson/scene.h"

// Checks step k's claims against sc, its computed scene. Writes one line per
// false or malformed claim to report ("path:line: step K: expect '...' is
// false: 3 vs 1") and returns how many there were; *n_checked (may be NULL)
// gets the number of claims evaluated. Without CIFAR-10 (no_data) a claim
// about a grid or line the dump lacks is not evaluated (those numbers come
// from the images) instead of failing.
int expect_check(const Lesson *l, int k, const Scene *sc, bool no_data, FILE *report, int *n_checked);
// As expect_check for a scene computed under the live values ov (param() reads
// them); `at` ("padding=3") is named in every report line. With other_net (the
// scene runs a --net FILE) claims written "cnnnet: ..." (CNNNet's own numbers,
// e.g. its 608 conv1 parameters) are not evaluated.
int expect_check_at(const Lesson *l, int k, const Scene *sc, const SceneOverrides *ov, const char *at, bool other_net,
                    bool no_data, FILE *report, int *n_checked);

#endif
