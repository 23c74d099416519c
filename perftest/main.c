// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Entry point of one tool; the Makefile sets PT_TOOL per binary. */
#include "pt.h"

int main(int argc, char **argv)
{
	return pt_main(PT_TOOL, argc, argv);
}
