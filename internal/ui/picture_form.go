package ui

// pictureForm is the "picture-form" partial's data: where the picture goes
// (an API endpoint taking PUT and DELETE), its label, and whether there is
// one to remove.
type pictureForm struct {
	Action, Label string
	Has           bool
}

func newPictureForm(action, label string, has bool) pictureForm {
	return pictureForm{Action: action, Label: label, Has: has}
}
