-- Forgetting a resident removes their broadcast delivery rows too: each holds the platform id
-- the broadcast was (or was to be) sent to. A broadcast's totals then count one recipient less.
CREATE TRIGGER deliveries_forget_the_recipient BEFORE DELETE ON residents
BEGIN
    DELETE FROM deliveries WHERE resident_id = OLD.id;
END;
