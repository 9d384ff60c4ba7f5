-- Forgetting a WhatsApp resident removes their delivery receipts at once; their window row (the
-- number and when it last wrote) is kept only until the window closes, so the confirmation of the
-- erasure can still be sent, then the housekeeping deletes it (storage.whatsapp.forget_orphans).
CREATE TRIGGER whatsapp_forgets_the_receipts BEFORE DELETE ON residents WHEN OLD.channel = 'whatsapp'
BEGIN
    DELETE FROM whatsapp_statuses WHERE recipient_id = OLD.external_id;
END;
