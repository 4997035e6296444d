package payments

// ServiceStore is the store s was given, for the tests outside the
// package that check which optional interfaces (NotificationTargeter,
// RefundFinder) the service sees.
func ServiceStore(s *Service) Store { return s.store }
