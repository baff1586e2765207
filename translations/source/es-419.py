"""Español (Latinoamérica): usted-neutral forms and Latin American vocabulary."""

BASE = "es"
T = {
    "description": "Pago seguro de su reserva",
    "amount_now": "Monto a pagar ahora",
    "add_tip": "Agregar propina",
    "tip_amount": "Monto de la propina",
    "bank_tab": "La página de su banco se abrió en una pestaña nueva.",
    "secure": "Los pagos se procesan de forma segura a través de Stripe. Los datos de su "
              "tarjeta nunca llegan a %(merchant)s.",
    "no_stripe": "No se pudo cargar el formulario seguro de la tarjeta. Revise su conexión y "
                 "vuelva a cargar la página.",
    "enter_between": "Ingrese un monto entre %(minimum)s y %(maximum)s.",
    "not_completed": "Su pago no se completó.",
    "failed": "No se pudo completar su pago. Vuelva a intentarlo.",
    "offline": "No pudimos conectarnos con el servidor. Revise su conexión y vuelva a "
               "intentarlo; no se le cobrará dos veces.",
    "deleted": "Este enlace de pago fue eliminado.",
    "already": "Esta factura ya fue pagada.",
    "closed": "Esta factura fue cerrada y ya no acepta pagos.",
    "expired": "Este enlace de pago venció.",
    "canceled": "Esta reserva fue cancelada, así que no hay nada que pagar.",
    "processing": "Su pago se está procesando. Le enviaremos un correo electrónico cuando se "
                  "complete.",
    "page_expired": "Esta página venció. Vuelva a cargarla e inténtelo de nuevo.",
    "details_missing": "Faltan los datos de pago. Vuelva a ingresar su tarjeta.",
    "details_invalid": "Los datos de pago no son válidos. Vuelva a ingresar su tarjeta.",
    "declined": "Su tarjeta fue rechazada.",
    "not_started": "No se pudo iniciar el pago. Vuelva a ingresar su tarjeta.",
    "unreachable": "No pudimos conectarnos con el procesador de pagos. Vuelva a intentarlo.",
    "unreachable_twice": "No pudimos conectarnos con el procesador de pagos. Vuelva a "
                         "intentarlo en un momento; no se le cobrará dos veces.",
    "auth_incomplete": "La autenticación no se completó. Vuelva a intentarlo.",
    "cooldown": ["Demasiados intentos rechazados. Espere %(num)d minuto y vuelva a intentarlo.",
                 "Demasiados intentos rechazados. Espere %(num)d minutos y vuelva a "
                 "intentarlo.",
                 "Demasiados intentos rechazados. Espere %(num)d minutos y vuelva a "
                 "intentarlo."],
    "excess": "Esta reserva ya estaba pagada cuando se procesó su pago, así que se le "
              "reembolsaron %(amount)s en su tarjeta. No queda nada pendiente.",
    "err_title": "Algo salió mal",
    "err_403": "No tiene permiso para hacer eso.",
    "err_404": "Esta página no existe. Es posible que el enlace haya vencido o que se haya "
               "eliminado.",
    "err_429": "Demasiados intentos. Espere un momento y vuelva a intentarlo.",
    "err_500": "Algo salió mal de nuestro lado. No se cobró nada; vuelva a intentarlo.",
    "err_503": "El servicio no está disponible por el momento. Vuelva a intentarlo en un "
               "momento.",
    "subject_confirmed": "%(merchant)s: su reserva está confirmada (%(code)s)",
    "subject_expired": "%(merchant)s: su reserva sin pagar fue cancelada",
    "is_due": "Tiene pendientes %(amount)s por %(activity)s el %(when)s.",
    "open_link": "O abra este enlace: %(url)s",
    "pay_here": "Pague aquí: %(url)s",
    "questions": "¿Tiene preguntas? Escriba a %(email)s.",
    "confirmed": "Su reserva de %(activity)s el %(when)s está confirmada.",
    "expired_mail": "Su reserva de %(activity)s el %(when)s no se pagó dentro del plazo, así "
                    "que fue cancelada y su enlace de pago ya no funciona.",
    "nothing_charged": "No se cobró nada. Comuníquese con %(merchant)s para volver a reservar.",
    "thanks": "Gracias: recibimos su pago de %(amount)s.",
    "thanks_tip": "Gracias: recibimos su pago de %(amount)s (incluida una propina de "
                  "%(tip)s).",
    "sms": "%(merchant)s: %(amount)s pendientes por %(activity)s. Pague: %(url)s",
    "sms_short": "%(amount)s pendientes. Pague: %(url)s",
    "due_by": "Fecha límite de pago: %(when)s.",
    "due_by_label": "Fecha límite de pago: %(when)s",
    "reminder_intro": "Le recordamos que tiene pendientes %(amount)s por %(activity)s el %(when)s.",
    "card": "Tarjeta:",
    "amount": "Monto:",
    "tip": "Propina:",
    "participants": [
        "%(num)d participante",
        "%(num)d participantes",
        "%(num)d participantes",
    ],
    "attached": "Adjuntamos su recibo (PDF) y la reserva para su calendario (.ics).",
    "download_receipt": "Descargar recibo (PDF)",
    "add_calendar": "Agregar al calendario (.ics)",
    "subject_reminder": "Recordatorio de %(merchant)s: %(amount)s pendientes por %(activity)s",
    "sms_reminder": "%(merchant)s: recordatorio, %(amount)s pendientes. Pague: %(url)s",
    "sms_reminder_short": "Recordatorio: %(amount)s pendientes. Pague: %(url)s",
}
