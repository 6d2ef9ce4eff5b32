"""Each language's name in itself, for the language switch (its code where not listed), and
the words of the respondent pages themselves (buttons, progress, messages, the scales' end
labels) per language: :data:`CATALOGUE`, English where a language has none."""

from __future__ import annotations

from dataclasses import dataclass

NAMES = {
    "ar": "العربية",
    "cs": "Čeština",
    "da": "Dansk",
    "de": "Deutsch",
    "el": "Ελληνικά",
    "en": "English",
    "es": "Español",
    "fi": "Suomi",
    "fr": "Français",
    "hu": "Magyar",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nb": "Norsk bokmål",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "ru": "Русский",
    "sv": "Svenska",
    "tr": "Türkçe",
    "uk": "Українська",
    "zh": "中文",
}


def language_name(code: str) -> str:
    """``code``'s name in its own language ("fr" -> "Français", "pt-BR" -> "Português (BR)")."""
    primary, _, region = code.partition("-")
    name = NAMES.get(primary.lower(), code)
    return f"{name} ({region.upper()})" if region and primary.lower() in NAMES else name


@dataclass(frozen=True)
class Chrome:
    """The words of a respondent page itself (not its questions) in one language. Fields
    with ``{...}`` are formatted by the page."""

    title: str  # {campaign}, {number}, {count}
    page_of: str  # {number}, {count}
    predicting: str
    saved_note: str
    check_one: str
    check_many: str  # {count}
    required: str
    needs_answer: str
    back: str
    next: str
    finish: str
    ends: str  # {low}, {low_words}, {high}, {high_words}
    language: str  # the name of the language switch
    scales: dict[str, dict[int, str]]  # scale -> the words beside its numbers
    refusals: dict[str, tuple[str, str]]  # unknown, not_yet_open, closed, answered


def _kano(words: tuple[str, str, str, str, str]) -> dict[int, str]:
    return dict(enumerate(words, start=1))


def _scales(
    nps: tuple[str, str],
    agree: tuple[str, str],
    ease: tuple[str, str],
    no_yes: tuple[str, str],
    kano: tuple[str, str, str, str, str],
) -> dict[str, dict[int, str]]:
    return {
        "nps": {0: nps[0], 10: nps[1]},
        "likert5": {1: agree[0], 5: agree[1]},
        "likert7": {1: agree[0], 7: agree[1]},
        "ces7": {1: ease[0], 7: ease[1]},
        "binary": {0: no_yes[0], 1: no_yes[1]},
        "kano_functional": _kano(kano),
        "kano_dysfunctional": _kano(kano),
    }


CATALOGUE: dict[str, Chrome] = {
    "en": Chrome(
        title="{campaign}: page {number} of {count}",
        page_of="Page {number} of {count}.",
        predicting="You are predicting how customers will answer each question.",
        saved_note=(
            "Your answers are saved when you go on; you can leave and come back with the same link."
        ),
        check_one="Please check 1 answer:",
        check_many="Please check {count} answers:",
        required="(required)",
        needs_answer="This question needs an answer.",
        back="Back",
        next="Next",
        finish="Finish",
        ends="{low} means {low_words}, {high} means {high_words}.",
        language="Language",
        scales=_scales(
            ("Not at all likely", "Extremely likely"),
            ("Strongly disagree", "Strongly agree"),
            ("Very difficult", "Very easy"),
            ("No", "Yes"),
            ("I like it", "I expect it", "I am neutral", "I can live with it", "I dislike it"),
        ),
        refusals={
            "unknown": (
                "Link not found",
                "This survey link is not valid. Please check that the whole link was copied "
                "from your invitation.",
            ),
            "not_yet_open": (
                "Not open yet",
                "This survey is not open yet. Please come back when it opens; your link will "
                "work then.",
            ),
            "closed": (
                "Survey closed",
                "This survey is closed and no longer takes answers. Thank you for your interest.",
            ),
            "answered": (
                "Thank you",
                "Your answers have been received. Thank you for taking part.",
            ),
        },
    ),
    "fr": Chrome(
        title="{campaign} : page {number} sur {count}",
        page_of="Page {number} sur {count}.",
        predicting="Vous prévoyez comment les clients répondront à chaque question.",
        saved_note=(
            "Vos réponses sont enregistrées quand vous passez à la suite ; vous pouvez partir "
            "et revenir avec le même lien."
        ),
        check_one="Veuillez vérifier 1 réponse :",
        check_many="Veuillez vérifier {count} réponses :",
        required="(obligatoire)",
        needs_answer="Cette question demande une réponse.",
        back="Retour",
        next="Suivant",
        finish="Terminer",
        ends="{low} signifie {low_words}, {high} signifie {high_words}.",
        language="Langue",
        scales=_scales(
            ("Pas du tout probable", "Extrêmement probable"),
            ("Pas du tout d'accord", "Tout à fait d'accord"),
            ("Très difficile", "Très facile"),
            ("Non", "Oui"),
            (
                "Cela me plaît",
                "Je m'y attends",
                "Cela m'est égal",
                "Je peux m'en accommoder",
                "Cela me déplaît",
            ),
        ),
        refusals={
            "unknown": (
                "Lien introuvable",
                "Ce lien d'enquête n'est pas valide. Veuillez vérifier que le lien entier a été "
                "copié depuis votre invitation.",
            ),
            "not_yet_open": (
                "Pas encore ouverte",
                "Cette enquête n'est pas encore ouverte. Revenez à son ouverture ; votre lien "
                "fonctionnera alors.",
            ),
            "closed": (
                "Enquête close",
                "Cette enquête est close et n'accepte plus de réponses. Merci de votre intérêt.",
            ),
            "answered": (
                "Merci",
                "Vos réponses ont bien été reçues. Merci de votre participation.",
            ),
        },
    ),
    "de": Chrome(
        title="{campaign}: Seite {number} von {count}",
        page_of="Seite {number} von {count}.",
        predicting="Sie schätzen, wie Kunden jede Frage beantworten werden.",
        saved_note=(
            "Ihre Antworten werden beim Weitergehen gespeichert; Sie können die Umfrage "
            "verlassen und über denselben Link zurückkehren."
        ),
        check_one="Bitte prüfen Sie 1 Antwort:",
        check_many="Bitte prüfen Sie {count} Antworten:",
        required="(Pflichtfrage)",
        needs_answer="Diese Frage braucht eine Antwort.",
        back="Zurück",
        next="Weiter",
        finish="Abschließen",
        ends="{low} bedeutet {low_words}, {high} bedeutet {high_words}.",
        language="Sprache",
        scales=_scales(
            ("Überhaupt nicht wahrscheinlich", "Äußerst wahrscheinlich"),
            ("Stimme überhaupt nicht zu", "Stimme voll und ganz zu"),
            ("Sehr schwierig", "Sehr einfach"),
            ("Nein", "Ja"),
            (
                "Das gefällt mir",
                "Das setze ich voraus",
                "Das ist mir egal",
                "Damit kann ich leben",
                "Das gefällt mir nicht",
            ),
        ),
        refusals={
            "unknown": (
                "Link nicht gefunden",
                "Dieser Umfragelink ist nicht gültig. Bitte prüfen Sie, ob der ganze Link aus "
                "Ihrer Einladung kopiert wurde.",
            ),
            "not_yet_open": (
                "Noch nicht geöffnet",
                "Diese Umfrage ist noch nicht geöffnet. Bitte kommen Sie wieder, wenn sie "
                "beginnt; Ihr Link funktioniert dann.",
            ),
            "closed": (
                "Umfrage beendet",
                "Diese Umfrage ist beendet und nimmt keine Antworten mehr an. Vielen Dank für "
                "Ihr Interesse.",
            ),
            "answered": (
                "Vielen Dank",
                "Ihre Antworten sind eingegangen. Vielen Dank für Ihre Teilnahme.",
            ),
        },
    ),
    "es": Chrome(
        title="{campaign}: página {number} de {count}",
        page_of="Página {number} de {count}.",
        predicting="Está prediciendo cómo responderán los clientes a cada pregunta.",
        saved_note=(
            "Sus respuestas se guardan al continuar; puede salir y volver con el mismo enlace."
        ),
        check_one="Revise 1 respuesta:",
        check_many="Revise {count} respuestas:",
        required="(obligatoria)",
        needs_answer="Esta pregunta necesita una respuesta.",
        back="Atrás",
        next="Siguiente",
        finish="Terminar",
        ends="{low} significa {low_words}, {high} significa {high_words}.",
        language="Idioma",
        scales=_scales(
            ("Nada probable", "Extremadamente probable"),
            ("Totalmente en desacuerdo", "Totalmente de acuerdo"),
            ("Muy difícil", "Muy fácil"),
            ("No", "Sí"),
            ("Me gusta", "Lo doy por hecho", "Me es indiferente", "Puedo tolerarlo", "No me gusta"),
        ),
        refusals={
            "unknown": (
                "Enlace no encontrado",
                "Este enlace de la encuesta no es válido. Compruebe que copió el enlace completo "
                "de su invitación.",
            ),
            "not_yet_open": (
                "Aún no está abierta",
                "Esta encuesta aún no está abierta. Vuelva cuando se abra; su enlace funcionará "
                "entonces.",
            ),
            "closed": (
                "Encuesta cerrada",
                "Esta encuesta está cerrada y ya no acepta respuestas. Gracias por su interés.",
            ),
            "answered": (
                "Gracias",
                "Hemos recibido sus respuestas. Gracias por participar.",
            ),
        },
    ),
}


def chrome(language: str) -> tuple[str, Chrome]:
    """(the language of the page's own words, those words) for a page in ``language``: its
    own catalogue, its primary language's ("fr-CA" takes "fr"), else English."""
    for code in (language.lower(), language.lower().split("-")[0]):
        if code in CATALOGUE:
            return code, CATALOGUE[code]
    return "en", CATALOGUE["en"]
