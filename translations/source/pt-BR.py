"""Português (Brasil)."""

BASE = "pt"
T = {
    "description": "Pagamento seguro da sua reserva",
    "state_closed": "fechada",
    "amount_now": "Valor a pagar agora",
    "tip_amount": "Valor da gorjeta",
    "bank_tab": "A página do seu banco foi aberta em uma nova aba.",
    "open_again": "Abrir de novo",
    "secure": "Os pagamentos são processados com segurança pela Stripe. Os dados do seu "
              "cartão nunca chegam a %(merchant)s.",
    "amount_paid": "Valor pago:",
    "no_stripe": "Não foi possível carregar o formulário seguro do cartão. Verifique sua "
                 "conexão e recarregue a página.",
    "enter_between": "Digite um valor entre %(minimum)s e %(maximum)s.",
    "not_completed": "Seu pagamento não foi concluído.",
    "failed": "Não foi possível concluir seu pagamento. Tente novamente.",
    "offline": "Não foi possível conectar ao servidor. Verifique sua conexão e tente de novo; "
               "você não será cobrado duas vezes.",
    "deleted": "Este link de pagamento foi excluído.",
    "closed": "Esta fatura foi fechada e não aceita mais pagamentos.",
    "expired": "Este link de pagamento expirou.",
    "canceled": "Esta reserva foi cancelada, então não há nada a pagar.",
    "no_balance": "Não há saldo devedor nesta reserva.",
    "slot": "Desculpe, este horário não está mais disponível.",
    "pending": "Já existe um pagamento sendo processado para esta fatura.",
    "processing": "Seu pagamento está sendo processado. Enviaremos um e-mail quando ele for "
                  "concluído.",
    "page_expired": "Esta página expirou. Recarregue-a e tente novamente.",
    "details_missing": "Faltam os dados de pagamento. Digite seu cartão novamente.",
    "details_invalid": "Os dados de pagamento são inválidos. Digite seu cartão novamente.",
    "declined": "Seu cartão foi recusado.",
    "not_started": "Não foi possível iniciar o pagamento. Digite seu cartão novamente.",
    "unreachable": "Não foi possível conectar ao processador de pagamentos. Tente novamente.",
    "unreachable_twice": "Não foi possível conectar ao processador de pagamentos. Tente "
                         "novamente em instantes; você não será cobrado duas vezes.",
    "cooldown": ["Muitas tentativas recusadas. Aguarde %(num)d minuto e tente novamente.",
                 "Muitas tentativas recusadas. Aguarde %(num)d minutos e tente novamente.",
                 "Muitas tentativas recusadas. Aguarde %(num)d minutos e tente novamente."],
    "excess": "Esta reserva já estava paga quando seu pagamento foi processado, então "
              "%(amount)s foram reembolsados no seu cartão. Não há mais nada a pagar.",
    "err_404_title": "Link não encontrado",
    "err_title": "Algo deu errado",
    "err_400": "Não foi possível entender a solicitação.",
    "err_403": "Você não tem permissão para fazer isso.",
    "err_404": "Esta página não existe. O link pode ter expirado ou sido excluído.",
    "err_413": "A solicitação é grande demais.",
    "err_429": "Muitas tentativas. Aguarde um momento e tente novamente.",
    "err_500": "Algo deu errado do nosso lado. Nada foi cobrado; tente novamente.",
    "err_503": "O serviço está temporariamente indisponível. Tente novamente em instantes.",
    "subject_confirmed": "%(merchant)s: sua reserva está confirmada (%(code)s)",
    "subject_expired": "%(merchant)s: sua reserva não paga foi cancelada",
    "is_due": "Você tem %(amount)s a pagar por %(activity)s em %(when)s.",
    "open_link": "Ou abra este link: %(url)s",
    "questions": "Dúvidas? Escreva para %(email)s.",
    "confirmed": "Sua reserva de %(activity)s em %(when)s está confirmada.",
    "expired_mail": "Sua reserva de %(activity)s em %(when)s não foi paga dentro do prazo, "
                    "então foi cancelada e o link de pagamento não funciona mais.",
    "nothing_charged": "Nada foi cobrado. Entre em contato com %(merchant)s para reservar "
                       "novamente.",
    "thanks": "Obrigado: recebemos seu pagamento de %(amount)s.",
    "thanks_tip": "Obrigado: recebemos seu pagamento de %(amount)s (incluindo uma gorjeta de "
                  "%(tip)s).",
    "balance": "Saldo ainda devido: %(amount)s",
    "reminder_intro": "Lembrete: você tem %(amount)s a pagar por %(activity)s em %(when)s.",
    "amount": "Valor:",
    "attached": "Seu recibo (PDF) e a reserva para sua agenda (.ics) estão em anexo.",
    "download_receipt": "Baixar recibo (PDF)",
    "add_calendar": "Adicionar à agenda (.ics)",
}
