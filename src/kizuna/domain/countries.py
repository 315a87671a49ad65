"""Countries and regions (国・地域) as ISO 3166-1 alpha-2 codes.

An account or team may name its country by code ("GB", "JP"); the code is what is stored, filtered
on and sent to CTFd's tools. The 249 officially assigned codes are listed here as data, so the rule
needs nothing outside the domain; their names in each language come from Babel's locale data in
``kizuna.i18n.countries`` (the domain imports no Babel). An empty value means "not given".
"""

from __future__ import annotations

from kizuna.domain.errors import DomainError, ErrorCode

# The officially assigned ISO 3166-1 alpha-2 codes (user-assigned and reserved codes left out).
CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)


def validate_country(raw: object, field: str = "country") -> str:
    """The code as stored: upper case, "" for none; ``COUNTRY_INVALID`` for anything that is not an
    assigned code (the message repeats what was sent, cut short)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise DomainError(ErrorCode.COUNTRY_INVALID, field=field, country=str(raw)[:8])
    code = raw.strip().upper()
    if not code:
        return ""
    if code not in CODES:
        raise DomainError(ErrorCode.COUNTRY_INVALID, field=field, country=raw.strip()[:8])
    return code
