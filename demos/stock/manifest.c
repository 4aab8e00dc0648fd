/*
 * hs-stock's parts: the seed's manifest of part names, each in NVARIANTS
 * variants, as agent ids.
 */
#include "hs_stock.h"

#include <stdio.h>
#include <string.h>

/* The seed's `manifest`: Wikipedia's list of car body and main parts. */
/* clang-format off */
static const char *const manifest[] = {
	"Bonnet/hood", "Bonnet/hood latch", "Bumper", "Unexposed bumper",
	"Exposed bumper", "Cowl screen", "Decklid", "Fascia rear and support",
	"Fender (wing or mudguard)", "Front clip",
	"Front fascia and header panel", "Grille (also called grill)",
	"Pillar and hard trim", "Quarter panel", "Radiator core support",
	"Rocker", "Roof rack", "Spoiler", "Front spoiler (air dam)",
	"Rear spoiler (wing)", "Rims", "Hubcap", "Tire/Tyre", "Trim package",
	"Trunk/boot/hatch", "Trunk/boot latch", "Valance", "Welded assembly",
	"Outer door handle", "Inner door handle", "Door control module",
	"Door seal", "Door watershield", "Hinge", "Door latch",
	"Door lock and power door locks", "Center-locking",
	"Fuel tank (or fuel filler) door", "Window glass", "Sunroof",
	"Sunroof motor", "Window motor", "Window regulator",
	"Windshield (also called windscreen)", "Windshield washer motor",
	"Window seal",
};
/* clang-format on */

_Static_assert(sizeof(manifest) / sizeof(manifest[0]) == NNAMES,
	       "NNAMES is the manifest's length");

char part_ids[NPARTS][ID_CAP];

void make_ids(void)
{
	for (int i = 0; i < NPARTS; i++)
		snprintf(part_ids[i], ID_CAP, "%s %d", manifest[i / NVARIANTS],
			 i % NVARIANTS);
}

int part_index(const char *id)
{
	for (int i = 0; i < NPARTS; i++)
		if (strcmp(part_ids[i], id) == 0)
			return i;
	return -1;
}
