"""Français (Canada): Quebec usage (courriel, renseignements, « ? » without a space)."""

BASE = "fr"
T = {
    "card_details": "Renseignements sur la carte",
    "processing": "Votre paiement est en cours de traitement. Nous vous enverrons un courriel "
                  "une fois terminé.",
    "details_missing": "Les renseignements de paiement sont manquants. Veuillez entrer de "
                       "nouveau votre carte.",
    "details_invalid": "Les renseignements de paiement ne sont pas valides. Veuillez entrer "
                       "de nouveau votre carte.",
    "not_started": "Le paiement n’a pas pu être lancé. Veuillez entrer de nouveau votre carte.",
    "enter_between": "Entrez un montant entre %(minimum)s et %(maximum)s.",
    "questions": "Des questions? Écrivez à %(email)s.",
    "received": "Paiement reçu — merci!",
    "is_paid": "Cette réservation est payée — merci!",
    "subject_invoice": "%(merchant)s : %(amount)s à payer pour %(activity)s",
    "is_due": "%(amount)s sont à payer pour %(activity)s le %(when)s.",
    "bank_tab": "La page de votre banque s’est ouverte dans un nouvel onglet.",
    "due_by": "À payer au plus tard le %(when)s.",
    "due_by_label": "À payer au plus tard le %(when)s",
    "reminder_intro": "Petit rappel : %(amount)s sont à payer pour %(activity)s le %(when)s.",
    "attached": "Vous trouverez en pièces jointes votre reçu (PDF) et la réservation pour votre calendrier (.ics).",
    "add_calendar": "Ajouter au calendrier (.ics)",
}
