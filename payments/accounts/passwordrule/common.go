package passwordrule

// commonPasswords are common passwords of at least MinLength
// characters, lower case: long enough to pass the length rule, and among
// the first an attacker tries. Check compares them ignoring case.
// Keep the list short and in this one file.
var commonPasswords = map[string]bool{
	"123456789012": true, "1234567890123": true, "12345678901234": true, "123456789123": true,
	"1234567891011": true, "123123123123": true, "123412341234": true, "111222333444": true,
	"098765432109": true, "987654321098": true, "000000000000": true, "121212121212": true,
	"password1234": true, "password12345": true, "password123!": true, "password@123": true,
	"passwordpassword": true, "password123456": true, "p@ssword1234": true, "passw0rd1234": true,
	"qwerty123456": true, "qwertyuiop12": true, "qwertyuiop123": true, "qwertyqwerty": true,
	"qwertyuiopasdf": true, "qwertyuiopasdfghjkl": true, "asdfghjkl123": true, "asdfasdfasdf": true,
	"1q2w3e4r5t6y": true, "1qaz2wsx3edc": true, "q1w2e3r4t5y6": true, "zaq12wsxcde3": true,
	"qazwsxedcrfv": true, "abcdefghijkl": true, "abc123456789": true, "abcd12345678": true,
	"iloveyou1234": true, "iloveyouiloveyou": true, "letmein12345": true, "welcome12345": true,
	"welcome123456": true, "changeme1234": true, "administrator": true, "admin1234567": true,
	"trustno1trustno1": true, "football1234": true, "baseball1234": true, "princess1234": true,
	"sunshine1234": true, "superman1234": true, "monkey123456": true, "dragon123456": true,
	"correcthorsebatterystaple": true, "woaini1314520": true, "woaini123456": true, "5201314520131": true,
}
