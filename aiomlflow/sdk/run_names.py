"""Random run names in MLflow's adjective-noun-number form, from our own word lists."""

from __future__ import annotations


_ADJECTIVES = (
    "able agile amber ample astute audacious bold brave breezy bright brisk calm candid "
    "capable casual cheerful clever cosmic crisp curious daring dashing deft eager earnest "
    "easy elated enchanted epic fair fancy fearless fervent festive fine fleet fluent fond "
    "friendly gallant gentle gifted glad gleaming golden graceful grand gusty handy happy "
    "hardy hearty honest humble jolly jovial keen kind lively loyal lucid lucky lunar "
    "mellow merry mighty modest neat nimble noble peppy placid plucky polite proud quick "
    "quiet radiant rapid regal robust rosy rustic sassy serene sharp shiny silent sleek "
    "smooth snappy solar spry steady stellar sturdy sunny swift tidy tranquil trusty "
    "upbeat valiant vivid warm wise witty zesty"
).split()
_NOUNS = (
    "albatross alpaca ant badger bat bear beaver bee bison boar bobcat bug calf camel "
    "carp cat cheetah chicken cod colt conch cow crab crane cricket crow cub deer dingo "
    "dog dolphin donkey dove duck eagle eel elk emu falcon fawn ferret finch fish fly "
    "foal fowl fox frog gnat gnu goat goose gull hare hawk hen heron hog horse hound "
    "ibis jay kite koala lamb lark lemur lion llama lynx mole moose moth mouse mule newt "
    "owl ox panda parrot pig pony puma quail ram rat raven robin seal shark sheep shrew "
    "skink slug snail snake sow squid stork swan tern toad trout turtle vole wasp whale "
    "wolf worm wren yak zebra"
).split()
_MAX_LENGTH = 20


def random_run_name() -> str:
    """A name like ``brisk-otter-371``, at most 20 characters."""
    import random  # loaded by the first unnamed run: not part of `import aiomlflow`

    while True:
        name = f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 1000)}"
        if len(name) <= _MAX_LENGTH:
            return name
