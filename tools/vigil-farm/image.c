/* See image.h. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "image.h"

static bool serves(const struct farm_tier *t, double trust)
{
        return trust >= t->min_trust &&
               (trust < t->max_trust || (trust == t->max_trust && t->max_trust >= 1.0));
}

/* How far trust lies outside t's range (0 inside). */
static double distance(const struct farm_tier *t, double trust)
{
        if (serves(t, trust))
                return 0;
        return trust < t->min_trust ? t->min_trust - trust : trust - t->max_trust;
}

static void list_images(const struct farm_tier *tiers, size_t n, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++) {
                bool seen = false;
                for (size_t k = 0; k < i; k++)
                        seen = seen || !strcmp(tiers[k].image, tiers[i].image);
                if (!seen)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                                                tiers[i].image);
        }
}

enum farm_pick farm_pick_tier(const struct farm_tier *tiers, size_t n, const char *image,
                              const char *tier, double trust, char *ret_tier, char *why,
                              size_t why_size)
{
        const struct farm_tier *best = NULL;
        char images[160];

        ret_tier[0] = '\0';
        for (size_t i = 0; tier && i < n; i++) {
                if (strcmp(tiers[i].name, tier) != 0)
                        continue;
                if (strcmp(tiers[i].image, image) != 0) {
                        snprintf(why, why_size, "tier '%s' boots image '%s', not '%s'", tier,
                                 tiers[i].image, image);
                        return FARM_PICK_BAD;
                }
                snprintf(ret_tier, 32, "%s", tier);
                return FARM_PICK_OK;
        }
        if (tier) {
                snprintf(why, why_size, "vigild has no tier '%s'", tier);
                return FARM_PICK_BAD;
        }
        for (size_t i = 0; i < n; i++)
                if (serves(&tiers[i], trust)) {
                        if (!strcmp(tiers[i].image, image))
                                return FARM_PICK_OK; /* vigild's own choice boots the image */
                        break;
                }
        for (size_t i = 0; i < n; i++)
                if (!strcmp(tiers[i].image, image) &&
                    (!best || distance(&tiers[i], trust) < distance(best, trust)))
                        best = &tiers[i];
        if (!best) {
                list_images(tiers, n, images, sizeof(images));
                snprintf(why, why_size, "no tier of vigild boots image '%s' (its tiers boot: %s)",
                         image, images[0] ? images : "nothing");
                return FARM_PICK_SKIP;
        }
        snprintf(ret_tier, 32, "%s", best->name);
        return FARM_PICK_OK;
}
