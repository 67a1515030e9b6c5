"""Every string a volunteer reads, in English and Spanish: one catalog, looked up by key.

``say(language, key, **values)`` formats the entry; a language the catalog lacks reads English.
``count(language, n, key)`` picks the singular or plural entry (``key.one`` / ``key.other``).
Script text (sections, questions, codes) comes from scripts.yaml; everything around it comes from here.
"""

from __future__ import annotations

LANGUAGES = ("en", "es")

# the name of each language, in each interface language (one language table)
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "es": "Spanish (español)", "zh": "Chinese", "ko": "Korean", "vi": "Vietnamese",
           "tl": "Tagalog", "hy": "Armenian"},
    "es": {"en": "inglés", "es": "español", "zh": "chino", "ko": "coreano", "vi": "vietnamita",
           "tl": "tagalo", "hy": "armenio"},
}

CATALOG: dict[str, tuple[str, str]] = {
    # -- prompts ------------------------------------------------------------------------------------
    "prompt.choose": ("Choose 1-{n}: ", "Elija 1-{n}: "),
    "prompt.default": (" (default)", " (predeterminado)"),
    "prompt.not_a_choice": ("'{answer}' is not one of the choices — type a number from 1 to {n}, or the key shown, "
                            "then Enter.",
                            "'{answer}' no es una de las opciones — escriba un número del 1 al {n}, o la tecla "
                            "indicada, y Enter."),
    "prompt.instruction": ("(key or arrows, then Enter)", "(tecla o flechas, y Enter)"),
    "prompt.yes": ("Yes", "Sí"),
    "prompt.no": ("No", "No"),
    "prompt.yes_no": ("Type y or n, then Enter.", "Escriba s o n, y Enter."),
    "prompt.not_utf8": ("That line was not readable text (not UTF-8) — type it again.",
                        "Esa línea no es texto legible (no es UTF-8) — escríbala de nuevo."),
    "prompt.gave_up": ("no valid answer after {n} tries", "ninguna respuesta válida tras {n} intentos"),
    "prompt.ctrl_c": ("stopped at a prompt (Ctrl-C)", "detenido en una pregunta (Ctrl-C)"),
    "prompt.eof": ("input ended (Ctrl-D or end of piped answers)", "la entrada terminó (Ctrl-D o fin de las respuestas)"),
    # -- login and registration ---------------------------------------------------------------------
    "login.calling_as": ("Calling as {name} ({email}) — Enter to go on, c to change.",
                         "Llamando como {name} ({email}) — Enter para seguir, c para cambiar."),
    "login.go_on": ("Go on as {name}", "Seguir como {name}"),
    "login.change": ("Change: I am someone else", "Cambiar: soy otra persona"),
    "login.email": ("Your email (new volunteers: the email you want to register):",
                    "Su correo electrónico (voluntarios nuevos: el correo con el que quieren registrarse):"),
    "login.register_now": ("No volunteer registered with {email}. Register now?",
                           "No hay voluntario registrado con {email}. ¿Registrarse ahora?"),
    "login.joined": ("Logged in as {email} (your campaign login says who you are: no email to type).",
                     "Sesión iniciada como {email} (su acceso a la campaña dice quién es: no hay correo que escribir)."),
    "register.intro": ("Register as a volunteer (all four fields are required).",
                       "Regístrese como voluntario/a (los cuatro datos son obligatorios)."),
    "register.first": ("First name:", "Nombre:"),
    "register.last": ("Last name:", "Apellido:"),
    "register.email": ("Email:", "Correo electrónico:"),
    "register.zip": ("ZIP code (5 digits):", "Código postal (5 dígitos):"),
    "register.welcome": ("Welcome, {first}! You are registered as {email}.",
                         "¡Bienvenido/a, {first}! Quedó registrado/a como {email}."),
    "field.first": ("First name", "Nombre"),
    "field.last": ("Last name", "Apellido"),
    "field.email": ("Email", "Correo electrónico"),
    "register.required": ("{what} is required — type it", "{what} es obligatorio — escríbalo"),
    "register.not_name": ("{what} '{value}' is not a name — type it again (at most 60 characters, no < or >)",
                          "{what} '{value}' no es un nombre — escríbalo de nuevo (60 caracteres como máximo, sin < "
                          "ni >)"),
    "register.bad_email": ("'{value}' is not an email address — type it like name@example.org",
                           "'{value}' no es un correo electrónico — escríbalo como nombre@ejemplo.org"),
    "register.bad_zip": ("'{value}' is not a 5-digit ZIP code — type five digits, e.g. 90012",
                         "'{value}' no es un código postal de 5 dígitos — escriba cinco dígitos, p. ej. 90012"),
    "register.control": ("{what} contains a control character (such as Escape or a bell) — type it again with "
                         "letters only",
                         "{what} contiene un carácter de control (como Escape o una campana) — escríbalo de nuevo "
                         "solo con letras"),
    "register.email_long": ("'{email}' is {n} characters long; phonebank keeps at most {max} (your results file is "
                            "named after it) — use a shorter email",
                            "'{email}' tiene {n} caracteres; phonebank admite como máximo {max} (su archivo de "
                            "resultados lleva ese nombre) — use un correo más corto"),
    "list.which": ("Which list are you calling?", "¿Qué lista va a llamar?"),
    "list.start": ("Calling list '{list}' as {name} ({email}). Every saved call is written at once; quit any time.",
                   "Llamando a la lista '{list}' como {name} ({email}). Cada llamada se guarda al instante; puede "
                   "salir cuando quiera."),
    "list.preparing": ("Preparing list '{list}' for calling (once after each import; a big list takes a moment)...",
                       "Preparando la lista '{list}' (una vez tras cada importación; una lista grande tarda un "
                       "momento)..."),
    "rehearsal": ("Rehearsal: the sample campaign's clock reads {when} and runs from there (rehearsal.yaml); a real "
                  "campaign uses the real clock.",
                  "Ensayo: el reloj de la campaña de muestra marca {when} y avanza desde ahí (rehearsal.yaml); una "
                  "campaña real usa el reloj real."),
    "rehearsal.short": ("REHEARSAL clock {when}", "Reloj de ENSAYO {when}"),
    # -- the voter screen ---------------------------------------------------------------------------
    "screen.header": ("{name} · list {list}", "{name} · lista {list}"),
    "screen.number_of": ("(number {i} of {n})", "(número {i} de {n})"),
    "screen.city": ("City", "Ciudad"),
    "screen.age": ("Age", "Edad"),
    "screen.language": ("Language", "Idioma"),
    "screen.press_l": ("— press l for {language}", "— pulse l para {language}"),
    "screen.local_time": ("Local time", "Hora local"),
    "screen.unknown_zone": ("unknown time zone", "zona horaria desconocida"),
    "screen.and_unknown": ("(and an unknown time zone)", "(y una zona horaria desconocida)"),
    "screen.earlier": ("Earlier attempts ({n}), latest first:", "Intentos anteriores ({n}), el último primero:"),
    "screen.separate": (" — a separate election", " — una elección aparte"),
    "screen.separate_short": (" (separate)", " (aparte)"),
    "screen.reminders_short": ("Elections:", "Elecciones:"),
    "screen.reminders_hint": ("(r: read the reminders)", "(r: leer los recordatorios)"),
    "tally.line": ("Calls {calls} · Contacts {contacts} · Supporters {supporters} · Undecided {undecided}",
                   "Llamadas {calls} · Contactos {contacts} · Simpatizantes {supporters} · Indecisos {undecided}"),
    "tally.summary": ("Session summary: {calls}, {contacts}, {supporters}, {undecided}, {spent} on the phone, script "
                      "in {language}. Thank you!",
                      "Resumen de la sesión: {calls}, {contacts}, {supporters}, {undecided}, {spent} al teléfono, "
                      "guion en {language}. ¡Gracias!"),
    "n.calls.one": ("{n} call", "{n} llamada"),
    "n.calls.other": ("{n} calls", "{n} llamadas"),
    "n.contacts.one": ("{n} contact", "{n} contacto"),
    "n.contacts.other": ("{n} contacts", "{n} contactos"),
    "n.supporters.one": ("{n} supporter", "{n} simpatizante"),
    "n.supporters.other": ("{n} supporters", "{n} simpatizantes"),
    "n.undecided.one": ("{n} undecided", "{n} indeciso"),
    "n.undecided.other": ("{n} undecided", "{n} indecisos"),
    "n.voters.one": ("{n} voter", "{n} votante"),
    "n.voters.other": ("{n} voters", "{n} votantes"),
    "time.minutes": ("{m} min", "{m} min"),
    "time.hours": ("{h} h {m} min", "{h} h {m} min"),
    "time.today": ("today", "hoy"),
    "time.tomorrow": ("tomorrow", "mañana"),
    # -- the voter menu -----------------------------------------------------------------------------
    "menu.call": ("Call the number above: {name}, {phone}. Then:", "Marque el número de arriba: {name}, {phone}. Luego:"),
    "menu.script": ("Talking to the voter: start the script", "Hablando con el votante: empezar el guion"),
    "menu.more": ("Add Information: other results (wrong number, refused, moved, ...)",
                  "Agregar información: otros resultados (equivocado, se negó, se mudó...)"),
    "menu.callback": ("Call back later (set a time)", "Llamar más tarde (fijar una hora)"),
    "menu.next_number": ("Show the voter's next number", "Mostrar el siguiente número del votante"),
    "menu.language": ("Switch to {language}", "Cambiar a {language}"),
    "menu.reminders": ("Read the election reminders", "Leer los recordatorios de elecciones"),
    "menu.skip": ("Skip this voter (back to the pool for others)", "Saltar este votante (vuelve a la lista para otros)"),
    "menu.undo": ("Undo my last saved call", "Deshacer mi última llamada guardada"),
    "menu.quit": ("Quit", "Salir"),
    "menu.what_next": ("What next?", "¿Y ahora?"),
    "menu.again": ("Look again", "Buscar de nuevo"),
    "menu.try_again": ("Try again", "Intentar de nuevo"),
    "menu.unskip": ("Bring back the voters I skipped", "Recuperar los votantes que salté"),
    # -- the script and the result ------------------------------------------------------------------
    "script.no_answer": ("(no answer / skip this question)", "(sin respuesta / saltar esta pregunta)"),
    "script.back": ("Back to the voter menu (nothing is saved)", "Volver al menú del votante (no se guarda nada)"),
    "result.ask": ("Result of the call:", "Resultado de la llamada:"),
    "result.more": ("Add Information (non-contact results)...", "Agregar información (resultados sin contacto)..."),
    "result.back": ("Back to the voter", "Volver al votante"),
    "other.ask": ("Add Information:", "Agregar información:"),
    "other.back": ("Back", "Volver"),
    "note.ask": ("Note (optional, at most {max} characters; Enter to skip):",
                 "Nota (opcional, como máximo {max} caracteres; Enter para omitir):"),
    "note.change": ("Note (optional):", "Nota (opcional):"),
    "note.too_long": ("the note is {n} characters long, over the limit of {max} — shorten it",
                      "la nota tiene {n} caracteres, más del límite de {max} — acórtela"),
    "confirm.title": ("This will be saved:", "Esto se guardará:"),
    "confirm.voter": ("  Voter:    {name} (voter ID {id})", "  Votante:  {name} (ID de votante {id})"),
    "confirm.phone": ("  Phone:    {phone}", "  Teléfono: {phone}"),
    "confirm.result": ("  Result:   {result}", "  Resultado: {result}"),
    "confirm.callback": ("  Call back: {when}", "  Volver a llamar: {when}"),
    "confirm.language": ("  Script:   {language}", "  Guion:    {language}"),
    "confirm.note": ("  Note:     {note}", "  Nota:     {note}"),
    "confirm.none": ("(none)", "(ninguna)"),
    "confirm.ask": ("Save?", "¿Guardar?"),
    "confirm.save": ("Save Response", "Guardar respuesta"),
    "confirm.change_result": ("Change the result", "Cambiar el resultado"),
    "confirm.change_answers": ("Change the survey answers", "Cambiar las respuestas de la encuesta"),
    "confirm.change_time": ("Change the call-back time", "Cambiar la hora para volver a llamar"),
    "confirm.change_note": ("Change the note", "Cambiar la nota"),
    "confirm.discard": ("Discard (save nothing, back to the voter)", "Descartar (no guardar nada, volver al votante)"),
    "saved": ("Saved: {result} for {name}.", "Guardado: {result} para {name}."),
    # -- a shared campaign's database out of reach (store/outbox.py) ------------------------------------
    "offline.call": ("Offline: the campaign database cannot be reached. Finish and save this call: it is kept on "
                     "this computer and sent when the connection is back; no new voter until then.",
                     "Sin conexión: no se puede llegar a la base de datos de la campaña. Termine y guarde esta "
                     "llamada: se guarda en esta computadora y se envía cuando vuelva la conexión; no habrá otro "
                     "votante hasta entonces."),
    "offline.saved": ("Offline: the campaign database cannot be reached. This call is kept on this computer and sent "
                      "when the connection is back; no new voter until then.",
                      "Sin conexión: no se puede llegar a la base de datos de la campaña. Esta llamada se guarda en "
                      "esta computadora y se envía cuando vuelva la conexión; no habrá otro votante hasta entonces."),
    "offline.no_voter": ("Offline: no new voter until the campaign database can be reached again.",
                         "Sin conexión: no habrá otro votante hasta que se pueda llegar de nuevo a la base de datos "
                         "de la campaña."),
    "offline.no_voter_kept": ("Offline: no new voter until the campaign database can be reached again; {n} saved "
                              "call(s) are kept on this computer and will be sent then.",
                              "Sin conexión: no habrá otro votante hasta que se pueda llegar de nuevo a la base de "
                              "datos de la campaña; {n} llamada(s) guardada(s) se conservan en esta computadora y se "
                              "enviarán entonces."),
    "offline.back": ("Back online: the campaign database can be reached again.",
                     "Conectado de nuevo: se puede llegar otra vez a la base de datos de la campaña."),
    "offline.sent": ("Sent {n} call(s) saved while offline to the campaign database.",
                     "Se enviaron a la base de datos de la campaña {n} llamada(s) guardada(s) sin conexión."),
    "offline.sent_marked": ("Sent {n} call(s) saved while offline to the campaign database ({marked} marked: another "
                            "volunteer called the voter meanwhile).",
                            "Se enviaron a la base de datos de la campaña {n} llamada(s) guardada(s) sin conexión "
                            "({marked} marcada(s): otro voluntario llamó al votante mientras tanto)."),
    "save.retry": ("This call is not saved yet. Try to save it again (after freeing disk space or fixing the "
                   "permission)?",
                   "Esta llamada aún no está guardada. ¿Intentar guardarla de nuevo (después de liberar espacio en el "
                   "disco o corregir el permiso)?"),
    "saved.overlap": ("Another volunteer also called this voter while your hold had lapsed: both calls are saved, "
                      "yours is marked so reports count the voter once.",
                      "Otro voluntario también llamó a este votante mientras su reserva había vencido: se guardan "
                      "las dos llamadas; la suya queda marcada para que los informes cuenten al votante una vez."),
    "saved.hold_lost": ("Your hold on this voter had lapsed and another volunteer has them now: your call is saved.",
                        "Su reserva de este votante había vencido y ahora lo tiene otro voluntario: su llamada está "
                        "guardada."),
    "hold.lapsed": ("Your hold on {name} lapsed after {minutes} minutes without a keystroke and another volunteer has "
                    "them now. If you are on the call, finish and save it: it is kept and marked.",
                    "Su reserva de {name} venció tras {minutes} minutos sin teclear y ahora lo tiene otro "
                    "voluntario. Si está en la llamada, termínela y guárdela: se conserva y queda marcada."),
    "next_number.ask": ("Try {name}'s next number, {phone}?", "¿Probar el siguiente número de {name}, {phone}?"),
    "hours.over": ("Calling hours are over for {name} (voter's time: {local}; calls only {start}–{end}). Don't dial: "
                   "the voter goes back to the list.",
                   "Terminó el horario de llamadas para {name} (hora del votante: {local}; solo se llama de "
                   "{start} a {end}). No marque: el votante vuelve a la lista."),
    # -- nothing to call ----------------------------------------------------------------------------
    "empty.none": ("No voters to call right now.", "No hay votantes para llamar ahora."),
    "empty.hours": ("{n} held back by calling hours{until} ({start}–{end} in the voter's time).",
                    "{n} en espera por el horario de llamadas{until} ({start}–{end} en la hora del votante)."),
    "empty.until": (" until {when}", " hasta {when}"),
    "empty.waiting": ("{n} waiting for a retry or call-back{due}.",
                      "{n} en espera de un reintento o de volver a llamar{due}."),
    "empty.due": ("; the next is due {when}", "; el próximo toca {when}"),
    "empty.others": ("{n} being called by other volunteers or skipped.",
                     "{n} con otros voluntarios o saltados."),
    "empty.done": ("The list is done: {n}. Thank you!", "La lista está terminada: {n}. ¡Gracias!"),
    "n.finished.one": ("its {n} voter is finished", "su {n} votante está completo"),
    "n.finished.other": ("all {n} voters are finished", "los {n} votantes están completos"),
    "empty.for_now": ("The list is done for now.", "La lista está terminada por ahora."),
    # -- undo ---------------------------------------------------------------------------------------
    "undo.offline": ("Undo needs the campaign database, which cannot be reached now — undo when the connection is "
                     "back.",
                     "Deshacer necesita la base de datos de la campaña, que no responde ahora — deshaga cuando "
                     "vuelva la conexión."),
    "undo.nothing": ("Nothing to undo: you have no saved calls in this list.",
                     "Nada que deshacer: no tiene llamadas guardadas en esta lista."),
    "undo.ask": ("Undo '{result}' for {name}, {phone}, saved {when}?",
                 "¿Deshacer '{result}' para {name}, {phone}, guardado {when}?"),
    "undo.done": ("Undone: '{result}' for {name}, {phone}. The voter is back in the list.",
                  "Deshecho: '{result}' para {name}, {phone}. El votante vuelve a la lista."),
    "undo.dnc": ("{phone} is off the do-not-call list again.", "{phone} ya no está en la lista de no llamar."),
    "undo.earlier": ("That call was saved in an earlier session: this session's tally is unchanged.",
                     "Esa llamada se guardó en una sesión anterior: el conteo de esta sesión no cambia."),
    # -- call-back times ----------------------------------------------------------------------------
    "callback.ask": ("Call back when? Voter's time now: {now}. Type e.g. 18:30, 6pm, tomorrow 10:00 or "
                     "2017-03-21 17:00:",
                     "¿Cuándo volver a llamar? Hora del votante ahora: {now}. Escriba p. ej. 18:30, 6pm, "
                     "mañana 10:00 o 2017-03-21 17:00:"),
    "callback.empty": ("type a time, e.g. 18:30 or tomorrow 10:00", "escriba una hora, p. ej. 18:30 o mañana 10:00"),
    "callback.not_date": ("'{text}' is not a date — use YYYY-MM-DD HH:MM",
                          "'{text}' no es una fecha — use AAAA-MM-DD HH:MM"),
    "callback.not_time": ("'{text}' is not a time — type e.g. 18:30, 6pm or tomorrow 10:00",
                          "'{text}' no es una hora — escriba p. ej. 18:30, 6pm o mañana 10:00"),
    "callback.not_time_of_day": ("'{text}' is not a time of day — type e.g. 18:30",
                                 "'{text}' no es una hora del día — escriba p. ej. 18:30"),
    "callback.past": ("that time has already passed — give a time in the future",
                      "esa hora ya pasó — indique una hora futura"),
    "callback.far": ("that is more than 60 days away — give a nearer time",
                     "faltan más de 60 días — indique una hora más cercana"),
    "callback.hours": ("{when} is outside calling hours ({start}–{end} in the voter's time) — give a time inside them",
                       "{when} está fuera del horario de llamadas ({start}–{end} en la hora del votante) — indique "
                       "una hora dentro de él"),
    # -- the end ------------------------------------------------------------------------------------
    "stopped": ("Stopped: {why}. Every saved call is kept; the call being entered was not saved.",
                "Detenido: {why}. Cada llamada guardada se conserva; la que se estaba anotando no se guardó."),
    "script.changed": ("The campaign's script changed: scripts.yaml now holds the organizer's latest.",
                       "El guion de la campaña cambió: scripts.yaml tiene ahora la última versión del organizador."),
}


def _index(language: str) -> int:
    return 1 if language == "es" else 0


def say(language: str, key: str, /, **values: object) -> str:
    """The catalog entry ``key`` in ``language`` (English for a language the catalog lacks), filled in."""
    text = CATALOG[key][_index(language)]
    return text.format(**values) if values else text


def count(language: str, n: int, key: str) -> str:
    """``1 call`` / ``2 calls``: the singular or plural entry of ``key``."""
    return say(language, f"{key}.{'one' if n == 1 else 'other'}", n=n)


def language_name(code: str, language: str) -> str:
    """The name of the language ``code``, written in ``language``."""
    names = LANGUAGE_NAMES["es" if language == "es" else "en"]
    return names.get(code, code)
