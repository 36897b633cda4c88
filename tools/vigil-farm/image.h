/* A job's image and vigild's tiers. Reserve does not take an image yet: a
 * tier names the image its VMs boot (ListTiers' "image"). So a job's image
 * picks the tier: the one serving its desired_trust_level when that tier
 * boots the image (vigild then chooses it as usual), else the tier of that
 * image whose trust range lies nearest the level, passed explicitly. The
 * image also goes into the label vigil.farm/image. When Reserve takes an
 * image, this becomes a parameter. */
#pragma once

#include <stddef.h>

struct farm_tier {
        char name[32];
        char image[64];
        double min_trust, max_trust;
};

enum farm_pick {
        FARM_PICK_OK,   /* *ret_tier: the tier to ask for, "" to let vigild choose */
        FARM_PICK_SKIP, /* no tier serves the image: why says so */
        FARM_PICK_BAD,  /* the job's tier does not exist or boots another image */
};

/* Picks the tier for a job (image, explicit tier or NULL, trust level);
 * ret_tier and why hold at least 32 and 256 bytes. */
enum farm_pick farm_pick_tier(const struct farm_tier *tiers, size_t n, const char *image,
                              const char *tier, double trust, char *ret_tier, char *why,
                              size_t why_size);
