// SPDX-License-Identifier: GPL-2.0
/*
 * The code under test, built into the KUnit kernel unchanged.
 */
#include "../../drivers/predictor.c"
#include "../../drivers/clockmap.c"
#include "../../drivers/sysclock.c"
#include "../../drivers/core.c"
