"""People and places: accounts and roles (:mod:`.users`), who is asking
(:mod:`.auth`), device tokens (:mod:`.tokens`), login limits
(:mod:`.ratelimit`), the street → community → grid directory and
assignments (:mod:`.directory`), roster import (:mod:`.roster`), notices
copied to new grids (:mod:`.notice_fanout`) and the audit log (:mod:`.audit`)."""
