"""Deutsch."""

T = {
    "description": "Sichere Zahlung für Ihre Buchung",
    "language": "Sprache",
    "change": "Ändern",
    "until": "bis %(date)s",
    "details": "Buchungsdetails",
    "total": "Gesamt",
    "already_paid": "Bereits bezahlt",
    "due_now": "Jetzt fällig",
    "title_paid": "Bezahlt",
    "pay_amount": "%(amount)s bezahlen",
    "invoice": "Rechnung",
    "state_open": "offen",
    "state_paid": "bezahlt",
    "state_closed": "geschlossen",
    "state_canceled": "storniert",
    "state_no_balance": "kein offener Betrag",
    "state_slot": "Termin nicht verfügbar",
    "agreements": "Vereinbarungen",
    "accept": "Ich akzeptiere: %(title)s",
    "read": "%(title)s lesen",
    "amount_now": "Jetzt zu zahlender Betrag",
    "between": "Zwischen %(minimum)s und %(maximum)s.",
    "add_tip": "Trinkgeld geben",
    "no_tip": "Kein Trinkgeld",
    "other": "Anderer Betrag",
    "tip_amount": "Trinkgeldbetrag",
    "card_details": "Kartendaten",
    "bank_tab": "Die Seite Ihrer Bank wurde in einem neuen Tab geöffnet.",
    "open_again": "Erneut öffnen",
    "secure": "Zahlungen werden sicher über Stripe abgewickelt. Ihre Kartendaten erreichen "
              "%(merchant)s nie.",
    "received": "Zahlung erhalten – vielen Dank!",
    "amount_paid": "Bezahlter Betrag:",
    "confirmation_number": "Zahlungsbestätigungsnummer:",
    "confirmation_code": "Buchungsbestätigungscode:",
    "is_paid": "Diese Buchung ist bezahlt – vielen Dank!",
    "no_stripe": "Das sichere Kartenformular konnte nicht geladen werden. Prüfen Sie Ihre "
                 "Verbindung und laden Sie die Seite neu.",
    "enter_between": "Geben Sie einen Betrag zwischen %(minimum)s und %(maximum)s ein.",
    "not_completed": "Ihre Zahlung wurde nicht abgeschlossen.",
    "failed": "Ihre Zahlung konnte nicht abgeschlossen werden. Bitte versuchen Sie es erneut.",
    "offline": "Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie "
               "es erneut; Sie werden nicht doppelt belastet.",
    "deleted": "Dieser Zahlungslink wurde gelöscht.",
    "already": "Diese Rechnung wurde bereits bezahlt.",
    "closed": "Diese Rechnung wurde geschlossen und nimmt keine Zahlungen mehr an.",
    "expired": "Dieser Zahlungslink ist abgelaufen.",
    "canceled": "Diese Buchung wurde storniert, es ist nichts zu bezahlen.",
    "no_balance": "Für diese Buchung ist kein Betrag offen.",
    "slot": "Dieser Termin ist leider nicht mehr verfügbar.",
    "pending": "Für diese Rechnung wird bereits eine Zahlung verarbeitet.",
    "processing": "Ihre Zahlung wird verarbeitet. Wir informieren Sie per E-Mail, sobald sie "
                  "abgeschlossen ist.",
    "page_expired": "Diese Seite ist abgelaufen. Bitte laden Sie sie neu und versuchen Sie es "
                    "erneut.",
    "details_missing": "Zahlungsdaten fehlen. Bitte geben Sie Ihre Karte erneut ein.",
    "details_invalid": "Die Zahlungsdaten sind ungültig. Bitte geben Sie Ihre Karte erneut ein.",
    "declined": "Ihre Karte wurde abgelehnt.",
    "not_started": "Die Zahlung konnte nicht gestartet werden. Bitte geben Sie Ihre Karte "
                   "erneut ein.",
    "unreachable": "Der Zahlungsdienstleister ist nicht erreichbar. Bitte versuchen Sie es "
                   "erneut.",
    "unreachable_twice": "Der Zahlungsdienstleister ist nicht erreichbar. Bitte versuchen Sie "
                         "es gleich noch einmal; Sie werden nicht doppelt belastet.",
    "auth_incomplete": "Die Authentifizierung wurde nicht abgeschlossen. Bitte versuchen Sie "
                       "es erneut.",
    "cooldown": ["Zu viele abgelehnte Versuche. Bitte warten Sie %(num)d Minute und versuchen "
                 "Sie es dann erneut.",
                 "Zu viele abgelehnte Versuche. Bitte warten Sie %(num)d Minuten und versuchen "
                 "Sie es dann erneut."],
    "excess": "Diese Buchung war bereits bezahlt, als Ihre Zahlung einging. Deshalb wurden "
              "%(amount)s davon auf Ihre Karte erstattet. Es ist nichts mehr fällig.",
    "err_404_title": "Link nicht gefunden",
    "err_429_title": "Bitte etwas langsamer",
    "err_title": "Etwas ist schiefgelaufen",
    "err_400": "Die Anfrage konnte nicht verstanden werden.",
    "err_403": "Dazu sind Sie nicht berechtigt.",
    "err_404": "Diese Seite existiert nicht. Der Link ist möglicherweise abgelaufen oder "
               "wurde gelöscht.",
    "err_405": "Diese Methode ist hier nicht erlaubt.",
    "err_413": "Die Anfrage ist zu groß.",
    "err_429": "Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
    "err_500": "Bei uns ist etwas schiefgelaufen. Es wurde nichts belastet; bitte versuchen "
               "Sie es erneut.",
    "err_503": "Der Dienst ist kurz nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.",
    "subject_invoice": "%(merchant)s: %(amount)s fällig für %(activity)s",
    "subject_receipt": "%(merchant)s: Zahlung erhalten, vielen Dank",
    "subject_confirmed": "%(merchant)s: Ihre Buchung ist bestätigt (%(code)s)",
    "subject_expired": "%(merchant)s: Ihre unbezahlte Buchung wurde storniert",
    "hello": "Hallo %(name)s,",
    "is_due": "Für %(activity)s am %(when)s sind %(amount)s fällig.",
    "open_link": "Oder öffnen Sie diesen Link: %(url)s",
    "pay_here": "Hier bezahlen: %(url)s",
    "booking_code": "Buchung %(code)s",
    "questions": "Fragen? Schreiben Sie an %(email)s.",
    "confirmed": "Ihre Buchung für %(activity)s am %(when)s ist bestätigt.",
    "expired_mail": "Ihre Buchung für %(activity)s am %(when)s wurde nicht fristgerecht "
                    "bezahlt. Sie wurde daher storniert, und ihr Zahlungslink funktioniert "
                    "nicht mehr.",
    "nothing_charged": "Es wurde nichts belastet. Wenden Sie sich an %(merchant)s, um erneut "
                       "zu buchen.",
    "thanks": "Vielen Dank: Wir haben Ihre Zahlung über %(amount)s erhalten.",
    "thanks_tip": "Vielen Dank: Wir haben Ihre Zahlung über %(amount)s erhalten "
                  "(inklusive %(tip)s Trinkgeld).",
    "balance": "Noch offener Betrag: %(amount)s",
    "sms": "%(merchant)s: %(amount)s fällig für %(activity)s. Zahlen: %(url)s",
    "sms_short": "%(amount)s fällig. Zahlen: %(url)s",
    "state_unavailable": "nicht verfügbar",
    "merchant_unavailable": "Dieser Anbieter kann derzeit keine Zahlungen annehmen.",
}
