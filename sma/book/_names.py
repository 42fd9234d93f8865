"""Fictional client names, deterministic for a seed: a family name per household, given names per
person."""

from __future__ import annotations

import numpy as np

GIVEN_NAMES = (
    "Ada",
    "Adrian",
    "Aisha",
    "Alma",
    "Amara",
    "Anders",
    "Anika",
    "Arjun",
    "Beatrix",
    "Bram",
    "Camille",
    "Cassius",
    "Celeste",
    "Dalia",
    "Darius",
    "Delphine",
    "Elias",
    "Elodie",
    "Emeka",
    "Esme",
    "Farah",
    "Felix",
    "Freya",
    "Gideon",
    "Greta",
    "Hana",
    "Hugo",
    "Idris",
    "Ines",
    "Isak",
    "Jasper",
    "Juno",
    "Kai",
    "Keziah",
    "Lars",
    "Leona",
    "Linus",
    "Lucia",
    "Mateo",
    "Maren",
    "Milo",
    "Nadia",
    "Nico",
    "Noor",
    "Oona",
    "Orson",
    "Pia",
    "Quentin",
    "Rafael",
    "Rosa",
    "Rumi",
    "Sabine",
    "Silas",
    "Soren",
    "Tamsin",
    "Teo",
    "Thea",
    "Ulric",
    "Vera",
    "Viggo",
    "Wren",
    "Xavi",
    "Yara",
    "Zeno",
)
FAMILY_NAMES = (
    "Abernethy",
    "Adeyemi",
    "Albrecht",
    "Alvarado",
    "Ashcombe",
    "Bellweather",
    "Birchall",
    "Blackwood",
    "Brannigan",
    "Castellano",
    "Chandrasekar",
    "Crowhurst",
    "Dalgleish",
    "Delacroix",
    "Drummond",
    "Eastwick",
    "Ellingsworth",
    "Falkner",
    "Fenwick",
    "Galloway",
    "Greyson",
    "Hallorann",
    "Hawksley",
    "Ishikawa",
    "Jankowski",
    "Kettering",
    "Kowalczyk",
    "Lindqvist",
    "Lockhart",
    "Marchetti",
    "Montrose",
    "Nakamura",
    "Northcott",
    "Okonkwo",
    "Oyelaran",
    "Pemberton",
    "Quillfeather",
    "Ravensworth",
    "Rosenthal",
    "Salazar",
    "Sandoval",
    "Thorncastle",
    "Underhill",
    "Valcourt",
    "Vasquez",
    "Wainwright",
    "Whitlock",
    "Yamamoto",
    "Zeller",
    "Zimmerli",
)


def client_names(rng: np.random.Generator, household: np.ndarray, person: np.ndarray) -> np.ndarray:
    """One name per account: the household's family name and the owning person's given name.

    Parameters
    ----------
    household : ndarray of shape (n_accounts,), int -- household code, ascending
    person : ndarray of shape (n_accounts,), int -- 0 or 1: which partner owns the account

    Returns
    -------
    ndarray of shape (n_accounts,), str
    """
    n_households = int(household.max()) + 1 if len(household) else 0
    family = rng.integers(len(FAMILY_NAMES), size=n_households)
    given = rng.integers(len(GIVEN_NAMES), size=(n_households, 2))
    given[:, 1] = (given[:, 0] + 1 + rng.integers(len(GIVEN_NAMES) - 1, size=n_households)) % len(
        GIVEN_NAMES
    )
    givens = np.asarray(GIVEN_NAMES, dtype=object)[given[household, person]]
    families = np.asarray(FAMILY_NAMES, dtype=object)[family[household]]
    return givens + " " + families
