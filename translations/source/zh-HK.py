"""繁體中文（香港）: Hong Kong usage on Taiwan's traditional text."""

BASE = "zh-TW"
T = {
    "card_details": "信用卡資料",
    "bank_tab": "您的銀行頁面已在新分頁中開啟。",
    "no_stripe": "無法載入安全的信用卡表格。請檢查網絡連線並重新載入頁面。",
    "offline": "無法連接伺服器。請檢查網絡連線後再試；您不會被重複扣款。",
    "details_missing": "缺少付款資料，請重新輸入信用卡。",
    "details_invalid": "付款資料無效，請重新輸入信用卡。",
    "unreachable": "無法連接付款服務商，請再試一次。",
    "unreachable_twice": "無法連接付款服務商，請稍後再試；您不會被重複扣款。",
    "page_expired": "此頁面已過期，請重新載入後再試一次。",
    "processing": "您的付款正在處理中，完成後我們會以電郵通知您。",
    "questions": "有任何疑問？請電郵至 %(email)s。",
    "confirmation_number": "付款確認編號：",
    "participants": ["%(num)d 位參加者"],
    "attached": "附件包括您的收據（PDF）及可加入日曆的預訂（.ics）。",
    "add_calendar": "加入日曆（.ics）",
}
